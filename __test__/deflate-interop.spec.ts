// permessage-deflate against `ws` (perMessageDeflate on both sides), both directions, over the parameter
// combinations of RFC 7692 §7.1: no_context_takeover each way, max_window_bits 8..15 samples, threshold.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import WebSocket, { WebSocketServer as WsServer, type PerMessageDeflateOptions as WsDeflate } from 'ws'
import type { PerMessageDeflateOptions } from '../ts/deflate/negotiate.js'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import type { IMessage, WebSocketConnection } from '../ts/WebSocketConnection.js'
import { connected, outcome } from './helpers/client-events.js'
import { startEchoServer, wsOpened } from './helpers/server-echo.js'

/** Repetitive text (compresses well; the same words across messages exercise context takeover) and noise. */
const messages = (): Array<string | Buffer> => [
  'the quick brown fox jumps over the lazy dog; '.repeat(120),
  'the quick brown fox jumps over the lazy dog; again '.repeat(80),
  'héllo wörld ✓ '.repeat(300),
  randomBytes(3000),
  Buffer.alloc(50000, 0x61),
  'short',
  '',
]

interface Combo {
  name: string
  ours: PerMessageDeflateOptions
  theirs: WsDeflate
}

const combos: Combo[] = [
  { name: 'defaults', ours: {}, theirs: {} },
  { name: 'server_no_context_takeover (asked by ws)', ours: {}, theirs: { serverNoContextTakeover: true } },
  { name: 'client_no_context_takeover (ws side)', ours: {}, theirs: { clientNoContextTakeover: true } },
  {
    name: 'no_context_takeover both ways (ours)',
    ours: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    theirs: {},
  },
  { name: 'max_window_bits 8 both', ours: {}, theirs: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 } },
  { name: 'max_window_bits 9/10 (ours)', ours: { serverMaxWindowBits: 9, clientMaxWindowBits: 10 }, theirs: {} },
  { name: 'max_window_bits 12/11 (ws)', ours: {}, theirs: { serverMaxWindowBits: 12, clientMaxWindowBits: 11 } },
  {
    name: 'everything at once',
    ours: { serverNoContextTakeover: true, serverMaxWindowBits: 13, clientMaxWindowBits: 14 },
    theirs: { clientNoContextTakeover: true, clientMaxWindowBits: 14 },
  },
]

const same = (a: string | Buffer, m: IMessage): boolean =>
  typeof a === 'string' ? m.type === 'utf8' && m.utf8Data === a : m.type === 'binary' && m.binaryData.equals(a)

/** Opens a ws client; `answer` gets the server's Sec-WebSocket-Extensions. */
function wsOpen(t: ExecutionContext, url: string, pmd: WsDeflate, answer?: (h: string | undefined) => void) {
  const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0, ...pmd } })
  ws.once('upgrade', (res) => answer?.(res.headers['sec-websocket-extensions']))
  return wsOpened(t, ws)
}

function collect<T>(n: number, subscribe: (push: (x: T) => void) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const got: T[] = []
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} messages within 10 s`)), 10000)
    subscribe((x) => {
      got.push(x)
      if (got.length === n) {
        clearTimeout(timer)
        resolve(got)
      }
    })
  })
}

for (const combo of combos) {
  test(`ws client → our server: ${combo.name}`, async (t) => {
    const server = await startEchoServer(t, { perMessageDeflate: { threshold: 0, ...combo.ours } })
    const connections: WebSocketConnection[] = []
    server.wsServer.on('connect', (c: WebSocketConnection) => connections.push(c))
    const ws = await wsOpen(t, `ws://127.0.0.1:${server.port}/`, combo.theirs)
    t.regex(ws.extensions, /^permessage-deflate/)
    const list = messages()
    const echoes = collect<[Buffer, boolean]>(list.length, (push) =>
      ws.on('message', (d, bin) => push([d as Buffer, bin])),
    )
    for (const m of list) ws.send(m, { binary: Buffer.isBuffer(m) })
    const got = await echoes
    list.forEach((m, i) => {
      const [data, bin] = got[i] as [Buffer, boolean]
      t.is(bin, Buffer.isBuffer(m), `message ${i}`)
      t.true(Buffer.isBuffer(m) ? data.equals(m) : data.toString() === m, `message ${i}`)
    })
    // Compression really ran both ways: 50 KB of 'a' and the texts travel in far fewer bytes.
    const total = list.reduce((n, m) => n + (typeof m === 'string' ? Buffer.byteLength(m) : m.length), 0)
    const conn = connections[0] as WebSocketConnection
    t.true(conn.socket.bytesWritten < total / 2, `${conn.socket.bytesWritten} bytes written for ${total}`)
    t.true(conn.socket.bytesRead < total / 2, `${conn.socket.bytesRead} bytes read for ${total}`)
  })

  test(`our client → ws server: ${combo.name}`, async (t) => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0, ...combo.theirs } })
    t.teardown(() => {
      for (const c of wss.clients) c.terminate()
      wss.close()
    })
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
    wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })))
    const client = new WebSocketClient({ perMessageDeflate: { threshold: 0, ...combo.ours } })
    const o = outcome(client)
    client.connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`)
    const conn = connected(await o)
    t.teardown(() => conn.drop(1000, '', true))
    t.is(conn.extensions[0]?.name, 'permessage-deflate')
    const list = messages()
    const echoes = collect<IMessage>(list.length, (push) => conn.on('message', push))
    for (const m of list) conn.send(m)
    const got = await echoes
    list.forEach((m, i) => t.true(same(m, got[i] as IMessage), `message ${i}`))
    const total = list.reduce((n, m) => n + (typeof m === 'string' ? Buffer.byteLength(m) : m.length), 0)
    t.true(conn.socket.bytesWritten < total / 2, `${conn.socket.bytesWritten} bytes written for ${total}`)
  })
}

test('threshold: messages below it go out uncompressed, at or above it compressed (ws reads both)', async (t) => {
  const server = await startEchoServer(t, { perMessageDeflate: { threshold: 1024 } })
  const connections: WebSocketConnection[] = []
  server.wsServer.on('connect', (c: WebSocketConnection) => connections.push(c))
  const ws = await wsOpen(t, `ws://127.0.0.1:${server.port}/`, {})
  const conn = await new Promise<WebSocketConnection>((resolve) => {
    const poll = (): void => (connections[0] ? resolve(connections[0]) : void setTimeout(poll, 5))
    poll()
  })
  const echo = async (text: string): Promise<number> => {
    const before = conn.socket.bytesWritten
    const got = collect<Buffer>(1, (push) => ws.once('message', (d) => push(d as Buffer)))
    ws.send(text)
    t.is((await got)[0]?.toString(), text)
    return conn.socket.bytesWritten - before
  }
  t.is(await echo('a'.repeat(1023)), 1023 + 4) // header 4 bytes, payload as is
  t.true((await echo('a'.repeat(1024))) < 100)
})

test('connection.extensions and request.requestedExtensions show the agreed and offered parameters', async (t) => {
  const server = await startEchoServer(t, { perMessageDeflate: { serverMaxWindowBits: 10 } })
  const requestedP = new Promise<unknown>((resolve) =>
    server.wsServer.once('request', (req) => resolve(req.requestedExtensions)),
  )
  const agreedP = new Promise<unknown>((resolve) =>
    server.wsServer.once('connect', (c: WebSocketConnection) => resolve(c.extensions)),
  )
  let header: string | undefined
  await wsOpen(t, `ws://127.0.0.1:${server.port}/`, { clientNoContextTakeover: true }, (h) => (header = h))
  t.is(header, 'permessage-deflate; client_no_context_takeover; server_max_window_bits=10')
  const [requested, agreed] = await Promise.all([requestedP, agreedP])
  t.deepEqual(requested, [
    {
      name: 'permessage-deflate',
      params: [
        { name: 'client_no_context_takeover', value: undefined },
        { name: 'client_max_window_bits', value: undefined },
      ],
    },
  ])
  t.deepEqual(agreed, [
    {
      name: 'permessage-deflate',
      params: [
        { name: 'client_no_context_takeover', value: undefined },
        { name: 'server_max_window_bits', value: '10' },
      ],
    },
  ])
})
