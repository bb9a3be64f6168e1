// Hostile and unlucky handshakes: huge header lists, prototype names, header injection, pipelined bytes,
// resets while a request is pending or being refused, half-open sockets after a refusal.
import net from 'node:net'
import test from 'ava'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import type { WebSocketRequest } from '../ts/WebSocketRequest.js'
import {
  SWITCHING,
  handshake,
  headersComplete,
  maskedFrame,
  nextEvent,
  rawExchange,
  startServer,
} from './helpers/server-harness.js'

const SPACES = ' '.repeat(16 * 1024)
const COMMAS = ','.repeat(16 * 1024)

test('16 KiB of spaces/commas in protocol, extensions, cookie and XFF headers: parsed correctly', async (t) => {
  // Node's default limit on the whole header block is 16 KiB; raise it so the values reach our parsers.
  const { wsServer, port } = await startServer(t, {}, { maxHeaderSize: 256 * 1024 })
  const seen: WebSocketRequest[] = []
  wsServer.on('request', (r) => {
    seen.push(r)
    r.reject(400)
  })
  const huge: Array<Record<string, string>> = [
    { 'Sec-WebSocket-Protocol': `a,${SPACES}b` },
    { 'Sec-WebSocket-Protocol': COMMAS },
    { 'Sec-WebSocket-Extensions': `x;${SPACES};${SPACES}y=1,${SPACES}z` },
    { 'Sec-WebSocket-Extensions': COMMAS },
    { Cookie: `a=1;${SPACES}b=2` },
    { Cookie: `${';'.repeat(16 * 1024)}` },
    { 'X-Forwarded-For': `1.2.3.4,${SPACES}5.6.7.8` },
    { 'X-Forwarded-For': COMMAS },
  ]
  for (const headers of huge) {
    const res = await rawExchange(t, port, handshake({ headers }))
    t.true(res.text.startsWith('HTTP/1.1 400 Bad Request'))
  }
  const [p1, p2, e1, e2, c1, c2, x1, x2] = seen as [WebSocketRequest, ...WebSocketRequest[]]
  t.deepEqual(p1.requestedProtocols, ['a', 'b'])
  t.is(p2?.requestedProtocols.length, 16 * 1024 + 1)
  t.deepEqual(e1?.requestedExtensions, [
    {
      name: 'x',
      params: [
        { name: '', value: undefined },
        { name: 'y', value: '1' },
      ],
    },
    { name: 'z', params: [] },
  ])
  t.is(e2?.requestedExtensions.length, 16 * 1024 + 1)
  t.deepEqual(c1?.cookies, [
    { name: 'a', value: '1' },
    { name: 'b', value: '2' },
  ])
  t.is(c2?.cookies.length, 16 * 1024 + 1)
  t.deepEqual(x1?.remoteAddresses.slice(0, 2), ['1.2.3.4', '5.6.7.8'])
  t.is(x2?.remoteAddresses.length, 16 * 1024 + 2)
  t.is(x2?.remoteAddress, '')
})

test('__proto__ / constructor as protocol, extension and cookie names: 101, no throw, no pollution', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => {
    t.deepEqual(r.requestedProtocols, ['__proto__', 'constructor'])
    t.is(r.requestedExtensions[0]?.params[0]?.name, '__proto__')
    t.deepEqual(r.cookies, [
      { name: '__proto__', value: 'x' },
      { name: 'constructor', value: 'y' },
    ])
    r.accept('__proto__', r.origin, [
      { name: '__proto__', value: '1' },
      { name: 'constructor', value: '2' },
    ])
  })
  const res = await rawExchange(
    t,
    port,
    handshake({
      headers: {
        'Sec-WebSocket-Protocol': '__proto__, constructor',
        'Sec-WebSocket-Extensions': 'constructor; __proto__=1, hasOwnProperty',
        Cookie: '__proto__=x; constructor=y',
      },
    }),
    headersComplete,
  )
  t.is(
    res.text,
    `${SWITCHING}Sec-WebSocket-Protocol: __proto__\r\nSet-Cookie: __proto__=1\r\nSet-Cookie: constructor=2\r\n\r\n`,
  )
  t.is(({} as Record<string, unknown>)['x'], undefined)
})

test('accept("constructor") when the client offered other protocols: 500, not an Object.prototype lookup', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) =>
    t.throws(() => r.accept('constructor'), { message: 'Specified protocol was not requested by the client.' }),
  )
  const res = await rawExchange(t, port, handshake({ headers: { 'Sec-WebSocket-Protocol': 'chat' } }))
  t.is(res.text, 'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n')
})

test('CR/LF in a cookie from the application never reaches the wire as a header break', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => r.accept(null, null, [{ name: 'a', value: 'b\r\nX-Evil:1' }]))
  const res = await rawExchange(t, port, handshake(), headersComplete)
  // CTLs, spaces and ';' are stripped from the value (WebSocket-Node's rule), so it stays one header line.
  t.is(res.text, `${SWITCHING}Set-Cookie: a=bX-Evil:1\r\n\r\n`)
})

test('a frame pipelined with the GET (the upgrade head) is delivered as a message (WebSocket-Node lost it)', async (t) => {
  const { wsServer, port } = await startServer(t)
  let message: Promise<[{ type: string; utf8Data?: string }]> | undefined
  // Listeners go on synchronously after accept(), as applications do: the head is fed in the 101's write callback.
  wsServer.on('request', (r) => {
    message = nextEvent(r.accept(), 'message')
  })
  const frame = maskedFrame(0x81, Buffer.from('Hello'))
  t.is(frame.toString('hex'), '8185' + '01020304' + '4967' + '6f68' + '6e')
  await rawExchange(t, port, Buffer.concat([Buffer.from(handshake()), frame]), headersComplete)
  const [m] = await (message as Promise<[{ type: string; utf8Data?: string }]>)
  t.deepEqual(m, { type: 'utf8', utf8Data: 'Hello' })
})

test('two frames pipelined with the GET arrive in order, before later frames', async (t) => {
  const { wsServer, port } = await startServer(t)
  const texts: string[] = []
  let done: () => void
  const gotThree = new Promise<void>((resolve) => (done = resolve))
  wsServer.on('request', (r) => {
    const c = r.accept()
    c.on('message', (m: { utf8Data?: string }) => {
      texts.push(m.utf8Data ?? '')
      if (texts.length === 3) done()
    })
  })
  const res = await rawExchange(
    t,
    port,
    Buffer.concat([Buffer.from(handshake()), maskedFrame(0x81, Buffer.from('one')), maskedFrame(0x81, Buffer.from('two'))]),
    headersComplete,
  )
  res.socket.write(maskedFrame(0x81, Buffer.from('three')))
  await gotThree
  t.deepEqual(texts, ['one', 'two', 'three'])
})

function connectRaw(t: { teardown(fn: () => void): void }, port: number, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(s))
    s.on('error', () => {})
    t.teardown(() => s.destroy())
  })
}

test('client resets while the request is pending: reject() afterwards does not crash the process', async (t) => {
  const { wsServer, port } = await startServer(t)
  const requestSeen = nextEvent<[WebSocketRequest]>(wsServer, 'request')
  const socket = await connectRaw(t, port)
  socket.write(handshake())
  const [request] = await requestSeen
  const serverSocketClosed = nextEvent(request.socket, 'close')
  socket.resetAndDestroy()
  await serverSocketClosed
  t.notThrows(() => request.reject(403, 'too late'))
  t.is(wsServer.pendingRequests.length, 0)
})

test('client resets before accept(): accept still returns a connection that closes 1006 on the next tick', async (t) => {
  const { wsServer, port } = await startServer(t)
  const requestSeen = nextEvent<[WebSocketRequest]>(wsServer, 'request')
  const connects: WebSocketConnection[] = []
  wsServer.on('connect', (c) => connects.push(c))
  const socket = await connectRaw(t, port)
  socket.write(handshake())
  const [request] = await requestSeen
  const serverSocketClosed = nextEvent(request.socket, 'close')
  socket.resetAndDestroy()
  await serverSocketClosed
  const connection = request.accept()
  t.is(connects[0], connection)
  const [code, description] = await nextEvent<[number, string]>(connection, 'close')
  t.is(code, 1006)
  t.is(description, 'TCP connection lost before handshake completed.')
})

test('ECONNRESET while a refusal is being written does not crash the process', async (t) => {
  const { wsServer, port } = await startServer(t)
  let rejected = 0
  wsServer.on('request', (r) => {
    // The client resets right after the request is seen; the refusal is written into the dead socket.
    setTimeout(() => {
      r.reject(403, 'x'.repeat(2000))
      rejected++
    }, 50)
  })
  for (let i = 0; i < 5; i++) {
    const seen = nextEvent(wsServer, 'request')
    const socket = await connectRaw(t, port)
    socket.write(handshake())
    await seen
    socket.resetAndDestroy()
  }
  for (let i = 0; i < 150 && rejected < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.is(rejected, 5)
})

test('after a refusal the server discards input and closes once the client closes', async (t) => {
  const { wsServer, port } = await startServer(t)
  const closed = nextEvent<[WebSocketRequest]>(wsServer, 'request').then(([r]) => {
    const c = nextEvent(r.socket, 'close')
    r.reject(403)
    return c
  })
  const res = await rawExchange(t, port, handshake(), headersComplete)
  res.socket.write('junk after the refusal')
  res.socket.end()
  // The server's side closes without an error once ours has (long before closeTimeout would cut it off).
  t.deepEqual(await closed, [false])
})

test('after a refusal a client that keeps its side open is cut off after closeTimeout', async (t) => {
  const closeTimeout = 300
  const { wsServer, port } = await startServer(t, { closeTimeout })
  let refusedAt = 0
  const closed = nextEvent<[WebSocketRequest]>(wsServer, 'request').then(([r]) => {
    const c = nextEvent(r.socket, 'close', 3000)
    refusedAt = performance.now()
    r.reject(403)
    return c
  })
  // allowHalfOpen: our side stays open after the server's FIN, like a peer that never closes.
  const socket = await connectRaw(t, port, true)
  socket.write(handshake())
  await closed
  const cutAt = performance.now()
  // The window: not before closeTimeout (the socket stayed open through the grace period; 2 ms for the timer
  // clock's millisecond rounding), and within nextEvent's 3 s bound above.
  t.true(cutAt - refusedAt >= closeTimeout - 2, `closed ${Math.round(cutAt - refusedAt)} ms after the refusal`)
})

test('2,000 junk headers push Sec-WebSocket-Key past maxHeadersCount → 400 + upgradeError, never a throw', async (t) => {
  // ws CVE-2024-37890: the key silently dropped by Node's header limit crashed the server.
  const { wsServer, port } = await startServer(t, {}, { maxHeaderSize: 64 * 1024 })
  const errors: Error[] = []
  wsServer.on('upgradeError', (e) => errors.push(e))
  let junk = ''
  for (let i = 0; i < 2000; i++) junk += `X-Junk-${i}: ${i}\r\n`
  const request =
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    junk +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`
  const res = await rawExchange(t, port, request)
  t.is(
    res.text,
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n' +
      'X-WebSocket-Reject-Reason: Client must provide a value for Sec-WebSocket-Key.\r\n\r\n',
  )
  t.is(errors.length, 1)
})
