// WebSocketServer + WebSocketRequest over raw TCP: the 101 and every rejection byte for byte, dispatch rules,
// request parsing and accept/reject semantics (as documented in docs/WebSocketServer.md and docs/WebSocketRequest.md).
import test from 'ava'
import { resolveConnectionOptions } from '../ts/config.js'
import { Deprecation } from '../ts/Deprecation.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import type { WebSocketRequest } from '../ts/WebSocketRequest.js'
import { WebSocketServer } from '../ts/WebSocketServer.js'
import {
  SWITCHING,
  handshake,
  headersComplete,
  nextEvent,
  rawExchange,
  startServer,
} from './helpers/server-harness.js'


test('101: exact bytes and header order, Origin echoed for v13', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => r.accept(null, r.origin))
  const res = await rawExchange(t, port, handshake({ headers: { Origin: 'http://example.com' } }), headersComplete)
  t.is(res.text, `${SWITCHING}Origin: http://example.com\r\n\r\n`)
})

test('101: no optional headers when accepted without protocol, origin or cookies', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => r.accept())
  const res = await rawExchange(t, port, handshake(), headersComplete)
  t.is(res.text, `${SWITCHING}\r\n`)
})

test('101: protocol matched case-insensitively, echoed in the client case; connection.protocol lower-cased', async (t) => {
  const { wsServer, port } = await startServer(t)
  const protocols: string[] = []
  wsServer.on('request', (r) => {
    t.deepEqual(r.requestedProtocols, ['chat', 'superchat'])
    // WebSocket-Node refused 'SuperChat' here (its check was case-sensitive despite the docs); we follow the docs.
    protocols.push(r.accept('SuperChat', r.origin).protocol ?? '')
  })
  const res = await rawExchange(
    t,
    port,
    handshake({ headers: { 'Sec-WebSocket-Protocol': 'Chat, SuperChat', Origin: 'https://a.test' } }),
    headersComplete,
  )
  t.is(res.text, `${SWITCHING}Sec-WebSocket-Protocol: SuperChat\r\nOrigin: https://a.test\r\n\r\n`)
  t.deepEqual(protocols, ['superchat'])
})

test('101: version 8 echoes Sec-WebSocket-Origin (from the Sec-WebSocket-Origin request header)', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => {
    t.is(r.webSocketVersion, 8)
    t.is(r.origin, 'http://v8.test')
    r.accept(null, r.origin)
  })
  const res = await rawExchange(
    t,
    port,
    handshake({ headers: { 'Sec-WebSocket-Version': '8', 'Sec-WebSocket-Origin': 'http://v8.test', Origin: 'http://no' } }),
    headersComplete,
  )
  t.is(res.text, `${SWITCHING}Sec-WebSocket-Origin: http://v8.test\r\n\r\n`)
})

test('101: Set-Cookie lines, one per cookie, after protocol and origin', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) =>
    r.accept('chat', 'http://o.test', [
      { name: 'sid', value: 'abc', path: '/', httponly: true },
      { name: 'b', value: '2', domain: 'O.Test', secure: true, maxage: 60 },
    ]),
  )
  const res = await rawExchange(
    t,
    port,
    handshake({ headers: { 'Sec-WebSocket-Protocol': 'chat', Origin: 'http://O.test' } }),
    headersComplete,
  )
  t.is(
    res.text,
    `${SWITCHING}Sec-WebSocket-Protocol: chat\r\nOrigin: http://o.test\r\n` +
      'Set-Cookie: sid=abc;Path=/;HttpOnly\r\nSet-Cookie: b=2;Domain=o.test;Max-Age=60;Secure\r\n\r\n',
  )
})

// [name, request, status line + headers after `Connection: close`, httpCode on the upgradeError]
const REFUSED: Array<[string, string, string, number]> = [
  [
    'missing key',
    handshake({ headers: { 'Sec-WebSocket-Key': null } }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Client must provide a value for Sec-WebSocket-Key.\r\n\r\n',
    400,
  ],
  [
    'missing version',
    handshake({ headers: { 'Sec-WebSocket-Version': null } }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Client must provide a value for Sec-WebSocket-Version.\r\n\r\n',
    400,
  ],
  [
    'non-numeric version',
    handshake({ headers: { 'Sec-WebSocket-Version': 'abc' } }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Client must provide a value for Sec-WebSocket-Version.\r\n\r\n',
    400,
  ],
  [
    'unsupported version',
    handshake({ headers: { 'Sec-WebSocket-Version': '14' } }),
    'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Unsupported websocket client version: 14Only versions 8 and 13 are supported.\r\nSec-WebSocket-Version: 13, 8\r\n\r\n',
    426,
  ],
  [
    'POST (stricter than WebSocket-Node)',
    handshake({ method: 'POST' }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Invalid HTTP method: the handshake must use GET.\r\n\r\n',
    400,
  ],
  [
    'Upgrade: foo (stricter than WebSocket-Node)',
    handshake({ headers: { Upgrade: 'foo' } }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Invalid Upgrade header: expected "websocket".\r\n\r\n',
    400,
  ],
  [
    'key not base64 of 16 bytes (stricter than WebSocket-Node)',
    handshake({ headers: { 'Sec-WebSocket-Key': 'x' } }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Invalid Sec-WebSocket-Key: it must be the base64 encoding of 16 bytes.\r\n\r\n',
    400,
  ],
  [
    'malformed % in a cookie',
    handshake({ headers: { Cookie: 'a=%E0%A4%A' } }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: URI malformed\r\n\r\n',
    400,
  ],
]

for (const [name, request, response, httpCode] of REFUSED) {
  test(`refused: ${name} → exact response, upgradeError, no 'request'`, async (t) => {
    const { wsServer, port } = await startServer(t)
    wsServer.on('request', () => t.fail('request must not be emitted'))
    const errors: Array<Error & { httpCode?: number }> = []
    wsServer.on('upgradeError', (e) => errors.push(e))
    const res = await rawExchange(t, port, request)
    t.is(res.text, response)
    t.true(res.closed)
    t.is(errors.length, 1)
    t.is(errors[0]?.httpCode, httpCode)
    t.is(wsServer.pendingRequests.length, 0)
  })
}

test('refused: missing Host → 400 "Client must provide a Host header."', async (t) => {
  const { port } = await startServer(t)
  // Node does not check Host on upgrade requests, so this reaches readHandshake.
  const res = await rawExchange(t, port, handshake({ headers: { Host: null } }))
  t.is(
    res.text,
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: Client must provide a Host header.\r\n\r\n',
  )
})

test('no request listener and no autoAccept → 404 "No handler is configured…"', async (t) => {
  const { port } = await startServer(t)
  const res = await rawExchange(t, port, handshake())
  t.is(
    res.text,
    'HTTP/1.1 404 Not Found\r\nConnection: close\r\nX-WebSocket-Reject-Reason: No handler is configured to accept the connection.\r\n\r\n',
  )
})

test('reject() defaults to 403 with no reason header; a non-integer status also means 403', async (t) => {
  const { wsServer, port } = await startServer(t)
  const statuses: unknown[] = [undefined, 'nope', 99.5]
  wsServer.on('request', (r) => r.reject(statuses.shift() as number))
  for (let i = 0; i < 3; i++) {
    const res = await rawExchange(t, port, handshake())
    t.is(res.text, 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
  }
})

test('reject(401, reason with CRLF, extra headers with CRLF) never injects a header line', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) =>
    r.reject(401, 'nope\r\nX-Evil: 1', { 'WWW-Authenticate': 'Basic\r\nSet-Cookie: a=b', 'X-\r\nA': 'ok' }),
  )
  const res = await rawExchange(t, port, handshake())
  t.is(
    res.text,
    'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nX-WebSocket-Reject-Reason: nopeX-Evil: 1\r\n' +
      'WWW-Authenticate: BasicSet-Cookie: a=b\r\nX-A: ok\r\n\r\n',
  )
})

test('reject: a reason with U+010D U+010A does not turn into CR LF on the wire', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => r.reject(400, 'a\u010d\u010aX-Evil: 1'))
  const res = await rawExchange(t, port, handshake())
  t.is(res.text, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-WebSocket-Reject-Reason: a??X-Evil: 1\r\n\r\n')
})

test('accept errors reject with 500 then throw (bad protocol, unrequested protocol, origin mismatch, bad cookie)', async (t) => {
  const { wsServer, port } = await startServer(t)
  const attempts: Array<[string, (r: WebSocketRequest) => unknown]> = [
    ['Illegal character "\r" in subprotocol.', (r) => r.accept('chat\r\nX-Evil: 1')],
    ['Specified protocol was not requested by the client.', (r) => r.accept('other')],
    ['Specified origin does not match the origin of the request.', (r) => r.accept('chat', 'http://evil.test')],
    ['Illegal character , in cookie value', (r) => r.accept('chat', r.origin, [{ name: 'a', value: 'b,c' }])],
    ['Value supplied for "cookies" argument must be an array.', (r) => r.accept('chat', r.origin, {} as never)],
  ]
  const pending = attempts.slice()
  wsServer.on('request', (r) => {
    const [message, attempt] = pending.shift() as [string, (r: WebSocketRequest) => unknown]
    t.throws(() => attempt(r), { message })
    t.throws(() => r.reject(), { message: 'WebSocketRequest may only be accepted or rejected one time.' })
  })
  for (let i = 0; i < attempts.length; i++) {
    const res = await rawExchange(
      t,
      port,
      handshake({ headers: { 'Sec-WebSocket-Protocol': 'chat', Origin: 'http://good.test' } }),
    )
    t.is(res.text, 'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n')
  }
})

test('accept: a protocol when the client offered none → 500 + throw', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) =>
    t.throws(() => r.accept('chat'), { message: 'Specified protocol was not requested by the client.' }),
  )
  const res = await rawExchange(t, port, handshake())
  t.is(res.text, 'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n')
})

test('accept: origin compared case-insensitively; echoed when the request has none; CR/LF stripped', async (t) => {
  const { wsServer, port } = await startServer(t)
  wsServer.on('request', (r) => r.accept(null, r.origin ? 'HTTP://Good.Test' : 'http://x.test\r\nX-Evil: 1'))
  const a = await rawExchange(t, port, handshake({ headers: { Origin: 'http://good.test' } }), headersComplete)
  t.is(a.text, `${SWITCHING}Origin: HTTP://Good.Test\r\n\r\n`)
  const b = await rawExchange(t, port, handshake(), headersComplete)
  t.is(b.text, `${SWITCHING}Origin: http://x.testX-Evil: 1\r\n\r\n`)
})

test('events: requestResolved then requestAccepted; server connect is synchronous inside accept()', async (t) => {
  const { wsServer, port } = await startServer(t)
  const order: string[] = []
  wsServer.on('connect', () => order.push('server connect'))
  wsServer.on('request', (r) => {
    r.on('requestResolved', () => order.push('requestResolved'))
    r.on('requestAccepted', () => order.push('requestAccepted'))
    t.is(wsServer.pendingRequests.length, 1)
    r.accept()
    order.push('accept returned')
    t.is(wsServer.pendingRequests.length, 0)
    t.is(wsServer.connections.length, 1)
    t.throws(() => r.accept(), { message: 'WebSocketRequest may only be accepted or rejected one time.' })
  })
  await rawExchange(t, port, handshake(), headersComplete)
  t.deepEqual(order, ['requestResolved', 'server connect', 'requestAccepted', 'accept returned'])
})

test('events: requestResolved then requestRejected', async (t) => {
  const { wsServer, port } = await startServer(t)
  const order: string[] = []
  wsServer.on('request', (r) => {
    r.on('requestResolved', () => order.push('requestResolved'))
    r.on('requestRejected', (req) => order.push(req === r ? 'requestRejected(this)' : 'wrong'))
    r.reject()
  })
  await rawExchange(t, port, handshake())
  t.deepEqual(order, ['requestResolved', 'requestRejected(this)'])
})

test('request properties: host, resource, resourceURL, key, version, protocols, extensions, cookies', async (t) => {
  const { wsServer, port } = await startServer(t)
  const [request] = await Promise.all([
    nextEvent<[WebSocketRequest]>(wsServer, 'request').then(([r]) => {
      r.reject(404)
      return r
    }),
    rawExchange(
      t,
      port,
      handshake({
        path: '/chat/room?x=1&x=2&y=%20z',
        headers: {
          'Sec-WebSocket-Protocol': 'Chat , SuperChat,,x',
          'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits, Foo;A=1',
          Cookie: 'sid=abc; q="a%20b"',
          Origin: 'http://o.test',
        },
      }),
    ),
  ])
  t.is(request.host, '127.0.0.1')
  t.is(request.resource, '/chat/room?x=1&x=2&y=%20z')
  t.is(request.resourceURL.pathname, '/chat/room')
  t.deepEqual({ ...request.resourceURL.query }, { x: ['1', '2'], y: ' z' })
  t.is(request.key, 'dGhlIHNhbXBsZSBub25jZQ==')
  t.is(request.webSocketVersion, 13)
  t.is(request.origin, 'http://o.test')
  t.deepEqual(request.requestedProtocols, ['chat ', 'superchat', '', 'x'])
  t.deepEqual(request.requestedExtensions, [
    { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: undefined }] },
    { name: 'foo', params: [{ name: 'a', value: '1' }] },
  ])
  t.deepEqual(request.cookies, [
    { name: 'sid', value: 'abc' },
    { name: 'q', value: 'a b' },
  ])
  t.is(request.remoteAddress, request.socket.remoteAddress ?? '')
})

test('parseCookies / parseExtensions off → empty arrays', async (t) => {
  const { wsServer, port } = await startServer(t, { parseCookies: false, parseExtensions: false })
  wsServer.on('request', (r) => {
    t.deepEqual(r.cookies, [])
    t.deepEqual(r.requestedExtensions, [])
    r.reject()
  })
  await rawExchange(t, port, handshake({ headers: { Cookie: 'a=%zz', 'Sec-WebSocket-Extensions': 'x' } }))
})

test('X-Forwarded-For: trusted by default (left-most entry), socket address last; ignored when configured', async (t) => {
  const trusting = await startServer(t)
  const ignoring = await startServer(t, { ignoreXForwardedFor: true })
  const seen: Array<[string, string[]]> = []
  for (const { wsServer } of [trusting, ignoring]) {
    wsServer.on('request', (r) => {
      seen.push([r.remoteAddress, r.remoteAddresses])
      r.accept()
    })
  }
  const xff = { headers: { 'X-Forwarded-For': '1.2.3.4, 5.6.7.8' } }
  await rawExchange(t, trusting.port, handshake(xff), headersComplete)
  await rawExchange(t, ignoring.port, handshake(xff), headersComplete)
  const [trusted, ignored] = seen
  t.is(trusted?.[0], '1.2.3.4')
  t.is(trusted?.[1].length, 3)
  t.deepEqual(trusted?.[1].slice(0, 2), ['1.2.3.4', '5.6.7.8'])
  t.regex(trusted?.[1][2] ?? '', /127\.0\.0\.1$/)
  t.regex(ignored?.[0] ?? '', /127\.0\.0\.1$/)
  t.is(ignored?.[1].length, 1)
  const conn = trusting.wsServer.connections[0] as WebSocketConnection
  t.is(conn.remoteAddress, '1.2.3.4')
  t.deepEqual(conn.remoteAddresses, trusted?.[1])
})

test('autoAcceptConnections: first offered protocol (client case on the wire) and the request origin', async (t) => {
  const { wsServer, port } = await startServer(t, { autoAcceptConnections: true })
  wsServer.on('request', () => t.fail('no request event with autoAccept'))
  const connected = nextEvent<[WebSocketConnection]>(wsServer, 'connect')
  const res = await rawExchange(
    t,
    port,
    handshake({ headers: { 'Sec-WebSocket-Protocol': 'Echo, chat', Origin: 'http://o.test' } }),
    headersComplete,
  )
  t.is(res.text, `${SWITCHING}Sec-WebSocket-Protocol: Echo\r\nOrigin: http://o.test\r\n\r\n`)
  const [connection] = await connected
  t.is(connection.protocol, 'echo')
})

test('autoAcceptConnections: a first protocol that is not a token → 500 + upgradeError, process alive', async (t) => {
  const { wsServer, port } = await startServer(t, { autoAcceptConnections: true })
  const errors: Error[] = []
  wsServer.on('upgradeError', (e) => errors.push(e))
  const res = await rawExchange(t, port, handshake({ headers: { 'Sec-WebSocket-Protocol': 'a b, c' } }))
  t.is(res.text, 'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n')
  t.is(errors[0]?.message, 'Illegal character " " in subprotocol.')
})

test('closeAllConnections: pending requests get 503, connections are closed', async (t) => {
  const { wsServer, port } = await startServer(t)
  const requests: WebSocketRequest[] = []
  wsServer.on('request', (r) => requests.push(r))
  const pending = rawExchange(t, port, handshake())
  await nextEvent(wsServer, 'request')
  t.is(wsServer.pendingRequests.length, 1)
  wsServer.closeAllConnections()
  const res = await pending
  t.is(res.text, 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n')
  t.is(wsServer.pendingRequests.length, 0)
})

test('shutDown unmounts: later upgrades are not handled by the WebSocket server', async (t) => {
  const { wsServer, httpServer, port } = await startServer(t)
  wsServer.on('request', (r) => r.accept())
  wsServer.shutDown()
  t.is(httpServer.listenerCount('upgrade'), 0)
  const res = await rawExchange(t, port, handshake(), headersComplete)
  t.false(res.text.startsWith('HTTP/1.1 101'))
})

test('pendingRequestTimeout: a request never answered is refused with 408', async (t) => {
  const { wsServer, port } = await startServer(t, { pendingRequestTimeout: 100 })
  wsServer.on('request', () => {})
  const res = await rawExchange(t, port, handshake())
  t.is(
    res.text,
    'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nX-WebSocket-Reject-Reason: The WebSocket request was neither accepted nor rejected in time.\r\n\r\n',
  )
})

test('mount: httpServer required (exact text); keepalive options validated with the original texts', (t) => {
  t.throws(() => new WebSocketServer({} as never), {
    message: 'You must specify an httpServer on which to mount the WebSocket server.',
  })
  const httpServer = { on() {}, removeListener() {} } as never
  t.throws(() => new WebSocketServer({ httpServer, keepaliveInterval: 'x' as never }), {
    message: 'keepaliveInterval must be specified and numeric if keepalive is true.',
  })
  t.throws(() => new WebSocketServer({ httpServer, keepaliveGracePeriod: null as never }), {
    message: 'keepaliveGracePeriod  must be specified and numeric if dropConnectionOnKeepaliveTimeout is true.',
  })
  t.notThrows(() => new WebSocketServer({ httpServer, keepalive: false, keepaliveInterval: 'x' as never }))
  // The original tested dropConnectionOnKeepaliveTimeout by truthiness: 0 means no drop, so no grace period needed.
  const noDrop = { httpServer, dropConnectionOnKeepaliveTimeout: 0 as never, keepaliveGracePeriod: null as never }
  t.notThrows(() => new WebSocketServer(noDrop))
  t.false(resolveConnectionOptions(noDrop).dropConnectionOnKeepaliveTimeout)
})

test('mount: defaults as WebSocket-Node; httpServer wrapped in an array; config shared by reference', (t) => {
  const httpServer = { on() {}, removeListener() {} } as never
  const server = new WebSocketServer({ httpServer, maxReceivedFrameSize: 1234 })
  t.deepEqual({ ...server.config, httpServer: null }, {
    httpServer: null,
    maxReceivedFrameSize: 1234,
    maxReceivedMessageSize: 0x100000,
    fragmentOutgoingMessages: true,
    fragmentationThreshold: 0x4000,
    keepalive: true,
    keepaliveInterval: 20000,
    dropConnectionOnKeepaliveTimeout: true,
    keepaliveGracePeriod: 10000,
    useNativeKeepalive: false,
    assembleFragments: true,
    autoAcceptConnections: false,
    ignoreXForwardedFor: false,
    parseCookies: true,
    parseExtensions: true,
    disableNagleAlgorithm: true,
    closeTimeout: 5000,
    pendingRequestTimeout: 0,
  })
  t.deepEqual(server.config?.httpServer, [httpServer])
  const polluted = JSON.parse('{"__proto__": {"autoAcceptConnections": true}}') as object
  const s2 = new WebSocketServer({ httpServer, ...polluted })
  t.is(Object.getPrototypeOf(s2.config), Object.prototype)
  t.false(s2.config?.autoAcceptConnections)
})

test('websocketVersion: deprecated alias of webSocketVersion, warns once', async (t) => {
  const { wsServer, port } = await startServer(t)
  const warnings: unknown[] = []
  const original = console.warn
  console.warn = (...args: unknown[]) => warnings.push(args[0])
  t.teardown(() => {
    console.warn = original
  })
  Deprecation.deprecationWarningMap['websocketVersion'] = 'test message'
  wsServer.on('request', (r) => {
    t.is(r.websocketVersion, 13)
    t.is(r.websocketVersion, 13)
    r.reject()
  })
  await rawExchange(t, port, handshake())
  t.deepEqual(warnings, ['DEPRECATION WARNING: test message'])
})
