// W3CWebSocket against the WHATWG WebSocket interface (https://websockets.spec.whatwg.org/), with WebSocket-Node's
// constructor and quirks (on<type> handlers before listeners, arraybuffer-only binaryType, send throws unless OPEN).
import http from 'node:http'
import net from 'node:net'
import test from 'ava'
import { WebSocketServer as WsServer } from 'ws'
import {
  W3CWebSocket,
  type WebSocketCloseEvent,
  type WebSocketEvent,
  WebSocketMessageEvent,
} from '../ts/W3CWebSocket.js'
import { startWsPeer } from './helpers/client-peers.js'
import { rawServer, response101 } from './helpers/client-raw-server.js'

/** Resolve with the next event of `type` (rejects after `ms`). */
function next<E extends WebSocketEvent = WebSocketEvent>(ws: W3CWebSocket, type: string, ms = 5000): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms)
    const l = (e: WebSocketEvent): void => {
      clearTimeout(timer)
      ws.removeEventListener(type, l)
      resolve(e as E)
    }
    ws.addEventListener(type, l)
  })
}

/** Record every event type in order, and the close event. */
function record(ws: W3CWebSocket): { order: string[]; closed: Promise<WebSocketCloseEvent> } {
  const order: string[] = []
  for (const type of ['open', 'message', 'error', 'close']) ws.addEventListener(type, (e) => order.push(e.type))
  return { order, closed: next<WebSocketCloseEvent>(ws, 'close') }
}

async function refusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

test('constants exist on the class and on instances', (t) => {
  t.deepEqual(
    [W3CWebSocket.CONNECTING, W3CWebSocket.OPEN, W3CWebSocket.CLOSING, W3CWebSocket.CLOSED],
    [0, 1, 2, 3],
  )
  const p = W3CWebSocket.prototype
  t.deepEqual([p.CONNECTING, p.OPEN, p.CLOSING, p.CLOSED], [0, 1, 2, 3])
})

test('open → messages → close: readyState, url, protocol, extensions and event fields', async (t) => {
  const { port } = await startWsPeer(t)
  const url = `ws://127.0.0.1:${port}/`
  const ws = new W3CWebSocket(url, ['chat'])
  const { order, closed } = record(ws)
  t.is(ws.readyState, W3CWebSocket.CONNECTING)
  t.is(ws.url, url)
  t.is(ws.protocol, '')
  t.is(ws.extensions, '')
  t.is(ws.binaryType, 'arraybuffer')
  t.is(ws.bufferedAmount, 0)
  const opened = await next(ws, 'open')
  t.is(opened.target, ws)
  t.is(ws.readyState, W3CWebSocket.OPEN)
  t.is(ws.protocol, 'chat')

  const text = next<WebSocketMessageEvent>(ws, 'message')
  ws.send('héllo')
  const m1 = await text
  t.true(m1 instanceof WebSocketMessageEvent)
  t.is(m1.data, 'héllo')

  const bin = next<WebSocketMessageEvent>(ws, 'message')
  ws.send(new Uint8Array([9, 8, 7]).buffer)
  const m2 = await bin
  t.true(m2.data instanceof ArrayBuffer)
  t.deepEqual([...new Uint8Array(m2.data as ArrayBuffer)], [9, 8, 7])

  ws.close(1000, 'done')
  t.is(ws.readyState, W3CWebSocket.CLOSING)
  const ev = await closed
  t.is(ws.readyState, W3CWebSocket.CLOSED)
  t.like(ev, { type: 'close', code: 1000, reason: 'done', wasClean: true })
  t.deepEqual(order, ['open', 'message', 'message', 'close'])
})

test('send accepts Buffer, typed-array views (offset respected), DataView, and stringifies other values', async (t) => {
  const { port } = await startWsPeer(t)
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/`)
  await next(ws, 'open')
  const got: Array<string | number[]> = []
  ws.onmessage = (e) => got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)])
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5])
  ws.send(Buffer.from([1, 2]))
  ws.send(backing.subarray(2, 4))
  ws.send(new DataView(backing.buffer, 4, 2))
  ws.send(new Uint16Array([0x0102]))
  ws.send(42 as unknown as string)
  for (let i = 0; i < 200 && got.length < 5; i++) await new Promise((r) => setTimeout(r, 10))
  t.deepEqual(got, [[1, 2], [2, 3], [4, 5], [...new Uint8Array(new Uint16Array([0x0102]).buffer)], '42'])
  ws.close()
  await next(ws, 'close')
})

test('an empty text message is delivered as "" (the original dropped it)', async (t) => {
  const { port } = await startWsPeer(t)
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/`)
  await next(ws, 'open')
  const m = next<WebSocketMessageEvent>(ws, 'message')
  ws.send('')
  t.is((await m).data, '')
  ws.close()
  await next(ws, 'close')
})

test('on<type> handler runs before listeners; a duplicate listener runs once; stopImmediatePropagation', async (t) => {
  const { port } = await startWsPeer(t)
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/`)
  const calls: string[] = []
  const l1 = (): void => {
    calls.push('listener1')
  }
  ws.addEventListener('open', l1)
  ws.addEventListener('open', l1)
  ws.addEventListener('open', {
    handleEvent: (e: WebSocketEvent) => {
      calls.push('object')
      e.stopImmediatePropagation()
    },
  })
  ws.addEventListener('open', () => calls.push('never'))
  ws.onopen = () => calls.push('onopen')
  const removed = (): void => {
    calls.push('removed')
  }
  ws.addEventListener('open', removed)
  ws.removeEventListener('open', removed)
  // (stopImmediatePropagation also hides the open from any later listener, so poll)
  for (let i = 0; i < 300 && calls.length < 3; i++) await new Promise((r) => setTimeout(r, 10))
  t.deepEqual(calls, ['onopen', 'listener1', 'object'])
  ws.close()
})

test('send() throws unless OPEN', async (t) => {
  const { port } = await startWsPeer(t)
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/`)
  t.throws(() => ws.send('early'), { message: 'cannot call send() while not connected' })
  await next(ws, 'open')
  const closed = next(ws, 'close')
  ws.close()
  t.throws(() => ws.send('closing'), { message: 'cannot call send() while not connected' })
  await closed
  t.throws(() => ws.send('late'), { message: 'cannot call send() while not connected' })
})

test('binaryType accepts only "arraybuffer" (SyntaxError as the original)', (t) => {
  const ws = new W3CWebSocket('ws://127.0.0.1:1/')
  ws.onerror = () => {}
  t.throws(
    () => {
      ws.binaryType = 'blob'
    },
    { instanceOf: SyntaxError, message: 'just "arraybuffer" type allowed for "binaryType" attribute' },
  )
  ws.binaryType = 'arraybuffer'
  t.is(ws.binaryType, 'arraybuffer')
  ws.close()
})

test('close() validates code and reason per WHATWG', (t) => {
  const ws = new W3CWebSocket('ws://127.0.0.1:1/')
  ws.onerror = () => {}
  for (const code of [0, 999, 1001, 1005, 2999, 5000, 3000.5]) {
    t.throws(() => ws.close(code), { any: true, name: 'InvalidAccessError' }, `code ${code}`)
  }
  t.throws(() => ws.close(1000, 'x'.repeat(124)), { any: true, name: 'SyntaxError' })
  t.throws(() => ws.close(4000, 'é'.repeat(62)), { any: true, name: 'SyntaxError' })
  t.is(ws.readyState, W3CWebSocket.CONNECTING)
  t.notThrows(() => ws.close(4999, 'é'.repeat(61) + 'x'))
})

test('connection refused → error then close(1006, "connection failed", wasClean false)', async (t) => {
  const port = await refusedPort()
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/`)
  const calls: string[] = []
  ws.onerror = (e) => calls.push(`onerror:${e.type}`)
  ws.onclose = (e) => calls.push(`onclose:${e.code}`)
  const { order, closed } = record(ws)
  const ev = await closed
  t.like(ev, { code: 1006, reason: 'connection failed', wasClean: false })
  t.is(ws.readyState, W3CWebSocket.CLOSED)
  t.deepEqual(calls, ['onerror:error', 'onclose:1006'])
  t.deepEqual(order, ['error', 'close'])
})

test('a failed handshake (wrong accept key) → error then close 1006, never open', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.write(response101(req, [], 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=')))
  const ws = new W3CWebSocket(server.url)
  const { order, closed } = record(ws)
  t.is((await closed).code, 1006)
  t.deepEqual(order, ['error', 'close'])
})

test('close() while CONNECTING → CLOSING now; error and close(1006) later; never open', async (t) => {
  const server = await rawServer(t, () => {})
  const ws = new W3CWebSocket(server.url)
  const { order, closed } = record(ws)
  ws.close()
  t.is(ws.readyState, W3CWebSocket.CLOSING)
  t.deepEqual(order, [])
  const ev = await closed
  t.like(ev, { code: 1006, wasClean: false })
  await new Promise((r) => setTimeout(r, 50))
  t.deepEqual(order, ['error', 'close'])
  t.is(ws.readyState, W3CWebSocket.CLOSED)
})

test('server-initiated close 4001 "bye" → close event with code and reason', async (t) => {
  const { port } = await startWsPeer(t)
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/close4001`)
  const { order, closed } = record(ws)
  const ev = await closed
  t.like(ev, { code: 4001, reason: 'bye' })
  // wasClean follows WebSocket-Node: true only for 1000 (documented difference from WHATWG).
  t.false(ev.wasClean)
  t.deepEqual(order, ['open', 'close'])
})

test('constructor arguments: origin, headers and client config reach the handshake', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.write(response101(req)))
  const ws = new W3CWebSocket(server.url, 'chat', 'http://page.example', { 'X-Token': 'abc' }, null, {
    maxReceivedFrameSize: 10,
    assembleFragments: false,
  })
  await next(ws, 'open')
  const req = server.requests[0]!
  t.is(req.headers.origin, 'http://page.example')
  t.is(req.headers['x-token'], 'abc')
  t.is(req.headers['sec-websocket-protocol'], 'chat')
  t.true(ws._client.config.assembleFragments)
  t.is(ws._client.config.maxReceivedFrameSize, 10)
  ws.close()
})

test('a frame that arrives with the 101 is dispatched after open, never before', async (t) => {
  const server = await rawServer(t, (req, socket) =>
    socket.write(Buffer.concat([Buffer.from(response101(req)), Buffer.from('8105' + '48656c6c6f', 'hex')])),
  )
  const ws = new W3CWebSocket(server.url)
  const seen: string[] = []
  ws.onopen = () => seen.push('open')
  ws.onmessage = (e) => seen.push(`message:${String(e.data)}`)
  for (let i = 0; i < 300 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
  t.deepEqual(seen, ['open', 'message:Hello'])
})

test('extensions reports what the server agreed (permessage-deflate), as its Sec-WebSocket-Extensions said', async (t) => {
  const server = http.createServer()
  const wss = new WsServer({ server, perMessageDeflate: { threshold: 0 } })
  let answered = ''
  wss.on('headers', (lines) => {
    answered = lines.find((l) => /^sec-websocket-extensions:/i.test(l))?.replace(/^[^:]*:\s*/, '') ?? ''
  })
  wss.on('connection', (peer) => peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary })))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    wss.close()
    server.close()
  })
  const { port } = server.address() as net.AddressInfo
  const ws = new W3CWebSocket(`ws://127.0.0.1:${port}/`, undefined, undefined, undefined, undefined, {
    perMessageDeflate: true,
  })
  t.is(ws.extensions, '')
  await next(ws, 'open')
  t.regex(answered, /^permessage-deflate\b/)
  t.is(ws.extensions.replace(/\s+/g, ''), answered.replace(/\s+/g, ''))
  const echoed = next<WebSocketMessageEvent>(ws, 'message')
  ws.send('compressed '.repeat(100))
  t.is((await echoed).data, 'compressed '.repeat(100))
  const closed = next<WebSocketCloseEvent>(ws, 'close')
  ws.close()
  t.true((await closed).wasClean)
})
