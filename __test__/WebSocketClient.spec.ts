// WebSocketClient: configuration, URL/protocol validation and request headers (no network), then the opening
// handshake on the wire against a raw TCP server that can answer anything (RFC 6455 §4.1 failure list).
import net from 'node:net'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import type { WebSocketFrame } from '../ts/WebSocketFrame.js'
import { buildRequestHeaders, hasToken, parseTargetUrl, validateResponse } from '../ts/client/handshake.js'
import { acceptFor, rawServer, response101, type RawRequest } from './helpers/client-raw-server.js'
import { connected, failed, nextEvent, outcome, type ConnectOutcome } from './helpers/client-events.js'
import { within } from './helpers/conn-pair.js'

test('defaults are the original client defaults plus a 30 s handshake timeout', (t) => {
  const c = new WebSocketClient()
  t.like(c.config, {
    maxReceivedFrameSize: 0x100000,
    maxReceivedMessageSize: 0x800000,
    fragmentOutgoingMessages: true,
    fragmentationThreshold: 0x4000,
    webSocketVersion: 13,
    assembleFragments: true,
    disableNagleAlgorithm: true,
    closeTimeout: 5000,
    handshakeTimeout: 30000,
  })
  t.deepEqual(c.config.tlsOptions, {})
})

test('unsupported webSocketVersion throws the original message', (t) => {
  t.throws(() => new WebSocketClient({ webSocketVersion: 7 }), {
    message: 'Requested webSocketVersion is not supported. Allowed values are 8 and 13.',
  })
  t.notThrows(() => new WebSocketClient({ webSocketVersion: 8 }))
})

test('the caller config object is not mutated (the original deleted its tlsOptions)', (t) => {
  const tlsOptions = { rejectUnauthorized: false }
  const config = { tlsOptions, maxReceivedFrameSize: 10 }
  const c = new WebSocketClient(config)
  t.is(config.tlsOptions, tlsOptions)
  t.deepEqual(c.config.tlsOptions, { rejectUnauthorized: false })
  t.not(c.config.tlsOptions, tlsOptions)
  t.is(c.config.maxReceivedFrameSize, 10)
})

test('URL validation uses the original messages', (t) => {
  const c = new WebSocketClient()
  t.throws(() => c.connect('localhost'), { message: 'You must specify a full WebSocket URL, including protocol.' })
  t.throws(() => c.connect('/relative/path'), {
    message: 'You must specify a full WebSocket URL, including protocol.',
  })
  t.throws(() => c.connect('ws:///nohost'), {
    message: 'You must specify a full WebSocket URL, including hostname. Relative URLs are not supported.',
  })
})

test('protocol tokens are validated with the original message', (t) => {
  const c = new WebSocketClient()
  t.throws(() => c.connect('ws://127.0.0.1:1/', ['good', 'bad proto']), {
    message: 'Protocol list contains invalid character " "',
  })
  t.throws(() => c.connect('ws://127.0.0.1:1/', 'a,b'), { message: 'Protocol list contains invalid character ","' })
  t.throws(() => c.connect('ws://127.0.0.1:1/', ['é']), { message: 'Protocol list contains invalid character "é"' })
  t.throws(() => c.connect('ws://127.0.0.1:1/', ['x\r\nX-Evil: 1']), {
    message: 'Protocol list contains invalid character "\r"',
  })
})

test('parseTargetUrl: default ports, Host value, IPv6 brackets, path and query, fragment dropped', (t) => {
  t.like(parseTargetUrl('ws://example.com'), { port: '80', hostForHeader: 'example.com', path: '/', secure: false })
  t.like(parseTargetUrl('ws://example.com:80/a'), { port: '80', hostForHeader: 'example.com', path: '/a' })
  t.like(parseTargetUrl('ws://example.com:443/a'), { port: '443', hostForHeader: 'example.com:443' })
  t.like(parseTargetUrl('wss://example.com/a?b=1#frag'), {
    port: '443',
    hostForHeader: 'example.com',
    path: '/a?b=1',
    secure: true,
  })
  t.like(parseTargetUrl('wss://example.com:8443'), { port: '8443', hostForHeader: 'example.com:8443' })
  t.like(parseTargetUrl('ws://[::1]:9000/x'), { hostname: '::1', hostForHeader: '[::1]:9000', path: '/x' })
  t.like(parseTargetUrl(new URL('ws://h:81/p?q')), { hostname: 'h', port: '81', path: '/p?q' })
})

test('buildRequestHeaders: handshake headers win, Host override in any case, tlsOptions.headers only for wss', (t) => {
  const base = { version: 13, nonce: 'n', protocols: ['a', 'b'], origin: 'http://o' }
  const ws = buildRequestHeaders({
    ...base,
    target: parseTargetUrl('ws://h:81/'),
    userHeaders: { upgrade: 'h2c', 'X-Token': '1', host: 'virtual.example' },
    tlsHeaders: { 'X-Tls': '1' },
  })
  t.deepEqual(ws, {
    'X-Token': '1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'n',
    Host: 'virtual.example',
    'Sec-WebSocket-Protocol': 'a, b',
    Origin: 'http://o',
  })
  const wss = buildRequestHeaders({
    ...base,
    version: 8,
    target: parseTargetUrl('wss://h/'),
    userHeaders: { 'X-Tls': 'user wins' },
    tlsHeaders: { 'X-Tls': '1', 'X-Only-Tls': '2' },
  })
  t.like(wss, { 'X-Tls': 'user wins', 'X-Only-Tls': '2', Host: 'h', 'Sec-WebSocket-Origin': 'http://o' })
  t.false('Origin' in wss)
})

test('hasToken / validateResponse follow RFC 6455 §4.1', (t) => {
  t.true(hasToken('keep-alive, Upgrade', 'upgrade'))
  t.false(hasToken('upgraded', 'upgrade'))
  const key = 'dGhlIHNhbXBsZSBub25jZQ=='
  const ok = { connection: 'upgrade', upgrade: 'WebSocket', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' }
  t.deepEqual(validateResponse(ok, key, []), { ok: true, protocol: undefined })
  t.deepEqual(validateResponse({ ...ok, 'sec-websocket-protocol': 'b' }, key, ['a', 'b']), { ok: true, protocol: 'b' })
})

test('the request on the wire: GET path, Host, handshake headers, random base64 16-byte keys', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.end(response101(req)))
  const keys = new Set<string>()
  for (let i = 0; i < 3; i++) {
    const c = new WebSocketClient()
    const o = outcome(c)
    c.connect(`ws://127.0.0.1:${server.port}/chat/x?room=1#frag`, ['Chat', 'superchat'], 'http://example.com')
    await o
  }
  for (const req of server.requests) {
    t.is(req.requestLine, 'GET /chat/x?room=1 HTTP/1.1')
    t.is(req.headers.host, `127.0.0.1:${server.port}`)
    t.is(req.headers.upgrade, 'websocket')
    t.is(req.headers.connection, 'Upgrade')
    t.is(req.headers['sec-websocket-version'], '13')
    t.is(req.headers['sec-websocket-protocol'], 'Chat, superchat')
    t.is(req.headers.origin, 'http://example.com')
    t.false('sec-websocket-extensions' in req.headers)
    t.is(Buffer.from(req.key, 'base64').length, 16)
    keys.add(req.key)
  }
  t.is(keys.size, 3)
})

test('version 8 sends Sec-WebSocket-Origin instead of Origin', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.end(response101(req)))
  const c = new WebSocketClient({ webSocketVersion: 8 })
  const o = outcome(c)
  c.connect(server.url, null, 'http://o.example')
  await o
  const req = server.requests[0]!
  t.is(req.headers['sec-websocket-version'], '8')
  t.is(req.headers['sec-websocket-origin'], 'http://o.example')
  t.false('origin' in req.headers)
})

test('client headers with CR/LF never reach the wire (Node refuses them)', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.end(response101(req)))
  const c = new WebSocketClient()
  t.throws(() => c.connect(server.url, null, null, { 'X-A': 'a\r\nX-Injected: 1' }), { code: 'ERR_INVALID_CHAR' })
  await new Promise((r) => setTimeout(r, 50))
  t.is(server.requests.length, 0)
})

/** Connect to a raw server that answers with `reply(req)` and return the outcome. */
async function handshakeWith(
  t: ExecutionContext,
  reply: (req: RawRequest) => string,
  protocols?: string[],
): Promise<ConnectOutcome> {
  const server = await rawServer(t, (req, socket) => socket.write(reply(req)))
  const c = new WebSocketClient()
  const o = outcome(c)
  c.connect(server.url, protocols)
  return o
}

test('wrong Sec-WebSocket-Accept → connectFailed with the original message', async (t) => {
  const o = await handshakeWith(t, (req) => response101(req, [], acceptFor('not the key')))
  t.regex(failed(o).message, /^Sec-WebSocket-Accept header from server didn't match expected value of .+=$/)
})

test('missing Sec-WebSocket-Accept → connectFailed', async (t) => {
  const o = await handshakeWith(
    t,
    () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  )
  t.is(failed(o).message, 'Expected Sec-WebSocket-Accept header from server')
})

test('Connection: keep-alive, Upgrade is accepted (original issue #176)', async (t) => {
  const o = await handshakeWith(t, (req) =>
    response101(req).replace('Connection: Upgrade', 'Connection: keep-alive, Upgrade'),
  )
  const connection = connected(o)
  t.true(connection.connected)
  connection.drop(1000, '', true)
})

test('Connection without the upgrade token → connectFailed', async (t) => {
  const o = await handshakeWith(t, (req) => response101(req).replace('Connection: Upgrade', 'Connection: upgraded'))
  t.is(failed(o).message, 'Expected a Connection: Upgrade header from the server')
})

test('Upgrade other than websocket → connectFailed', async (t) => {
  const o = await handshakeWith(t, (req) => response101(req).replace('Upgrade: websocket', 'Upgrade: h2c'))
  t.is(failed(o).message, 'Expected an Upgrade: websocket header from the server')
})

test('a protocol when none was requested → connectFailed (RFC 6455 §4.1 item 6)', async (t) => {
  const o = await handshakeWith(t, (req) => response101(req, ['Sec-WebSocket-Protocol: chat']))
  t.is(failed(o).message, 'Server did not respond with a requested protocol.')
})

test('a protocol outside the requested list, or in another case → connectFailed', async (t) => {
  const o1 = await handshakeWith(t, (req) => response101(req, ['Sec-WebSocket-Protocol: other']), ['chat'])
  t.is(failed(o1).message, 'Server did not respond with a requested protocol.')
  const o2 = await handshakeWith(t, (req) => response101(req, ['Sec-WebSocket-Protocol: CHAT']), ['chat'])
  t.is(failed(o2).message, 'Server did not respond with a requested protocol.')
})

test('protocols requested, server selects none → connect without protocol (browsers; original #92)', async (t) => {
  const o = await handshakeWith(t, (req) => response101(req), ['chat'])
  const connection = connected(o)
  t.is(connection.protocol as string | undefined, undefined)
  connection.drop(1000, '', true)
})

test('the selected protocol is reported on the connection', async (t) => {
  const o = await handshakeWith(t, (req) => response101(req, ['Sec-WebSocket-Protocol: b']), ['a', 'b'])
  const connection = connected(o)
  t.is(connection.protocol, 'b')
  connection.drop(1000, '', true)
})

test('an extension the client never offered → connectFailed, no crash (security S13)', async (t) => {
  const o = await handshakeWith(t, (req) =>
    response101(req, ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99']),
  )
  t.is(
    failed(o).message,
    'Server indicated an extension that was not requested: permessage-deflate; server_max_window_bits=99',
  )
})

test('non-101 without an httpResponse listener → connectFailed with status and headers', async (t) => {
  const o = await handshakeWith(
    t,
    () => 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nX-WebSocket-Reject-Reason: go away\r\n\r\n',
  )
  t.is(
    failed(o).message,
    'Server responded with a non-101 status: 403 Forbidden\nResponse Headers Follow:\n' +
      'connection: close\nx-websocket-reject-reason: go away\n',
  )
})

test('non-101 with an httpResponse listener → httpResponse(response, client) and no connectFailed', async (t) => {
  const server = await rawServer(t, (_req, socket) =>
    socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 4\r\n\r\nnope'),
  )
  const c = new WebSocketClient()
  let failures = 0
  c.on('connectFailed', () => failures++)
  const ev = nextEvent<[import('node:http').IncomingMessage, WebSocketClient]>(c, 'httpResponse')
  c.connect(server.url)
  const [response, client] = await ev
  t.is(response.statusCode, 401)
  t.is(response.headers['www-authenticate'], 'Basic')
  t.is(client, c)
  await new Promise((r) => setTimeout(r, 100))
  t.is(failures, 0)
})

test('connection refused → connectFailed carrying ECONNREFUSED', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo
      s.close(() => resolve(a.port))
    })
  })
  const c = new WebSocketClient()
  const o = outcome(c)
  c.connect(`ws://127.0.0.1:${port}/`)
  t.is((failed(await o) as NodeJS.ErrnoException).code, 'ECONNREFUSED')
})

test('a server that never answers the upgrade → connectFailed after handshakeTimeout, socket closed', async (t) => {
  // The server's side is watched from TCP accept, not from the request head: on a loaded machine the 200 ms
  // timer can fire before the head is read, and the client must close the socket either way.
  const server = net.createServer()
  const accepted = new Promise<{ closed: Promise<void> }>((resolve) =>
    server.once('connection', (socket: net.Socket) => {
      socket.on('error', () => {})
      socket.resume()
      resolve({ closed: new Promise<void>((closed) => socket.once('close', () => closed())) })
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as net.AddressInfo
  const c = new WebSocketClient({ handshakeTimeout: 200 })
  const started = Date.now()
  const o = outcome(c, 3000)
  c.connect(`ws://127.0.0.1:${port}/`)
  t.is(failed(await o).message, 'WebSocket opening handshake timed out after 200 ms')
  t.true(Date.now() - started >= 190)
  const { closed } = await within(accepted, 3000, 'the client to connect')
  await within(closed, 3000, 'the client to close the socket after the timeout')
})

test('abort() before the response → no event at all, TCP closed', async (t) => {
  let serverSocket: net.Socket | undefined
  let seen!: () => void
  const requested = new Promise<void>((r) => (seen = r))
  const server = await rawServer(t, (_req, socket) => {
    serverSocket = socket
    seen()
  })
  const c = new WebSocketClient()
  const events: string[] = []
  c.on('connect', () => events.push('connect'))
  c.on('connectFailed', () => events.push('connectFailed'))
  c.connect(server.url)
  await requested
  c.abort()
  await nextEvent(serverSocket!, 'close', 2000)
  await new Promise((r) => setTimeout(r, 100))
  t.deepEqual(events, [])
  t.notThrows(() => c.abort())
})

test('parallel connect() calls each succeed with their own key (original: all but the last failed)', async (t) => {
  const server = await rawServer(t, (req, socket) => setTimeout(() => socket.write(response101(req)), 20))
  const c = new WebSocketClient()
  const results: string[] = []
  const all = new Promise<void>((resolve) => {
    const note = (what: string): void => {
      results.push(what)
      if (results.length === 3) resolve()
    }
    c.on('connect', (conn) => {
      note('connect')
      conn.drop(1000, '', true)
    })
    c.on('connectFailed', (e) => note(e.message))
  })
  for (let i = 0; i < 3; i++) c.connect(server.url)
  await within(all, 5000, 'three connects')
  t.deepEqual(results, ['connect', 'connect', 'connect'])
  t.is(new Set(server.requests.map((r) => r.key)).size, 3)
})

test('extraRequestOptions cannot override method/path/host/headers; a Host header wins', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.write(response101(req)))
  const c = new WebSocketClient()
  const o = outcome(c)
  c.connect(`ws://127.0.0.1:${server.port}/real?x=1`, null, null, { Host: 'virtual.example:99' }, {
    method: 'POST',
    path: '/evil',
    hostname: '203.0.113.1',
    headers: { 'X-From-Options': '1' },
  })
  connected(await o).drop(1000, '', true)
  const req = server.requests[0]!
  t.is(req.requestLine, 'GET /real?x=1 HTTP/1.1')
  t.is(req.headers.host, 'virtual.example:99')
  t.false('x-from-options' in req.headers)
})

test('the handshake nonce and the client never use Math.random (RFC 6455 §4.1/§5.3, security S14)', async (t) => {
  const { readFile } = await import('node:fs/promises')
  for (const file of ['../ts/WebSocketClient.ts', '../ts/client/handshake.ts', '../ts/W3CWebSocket.ts']) {
    const src = await readFile(new URL(file, import.meta.url), 'utf8')
    t.false(src.includes('Math.random'), file)
  }
})

test('connection options in the client config reach the connection: keepalive drops a silent server', async (t) => {
  const server = await rawServer(t, (req, socket) => socket.write(response101(req)))
  const c = new WebSocketClient({ keepalive: true, keepaliveInterval: 100, keepaliveGracePeriod: 100 })
  const o = outcome(c)
  c.connect(server.url)
  const connection = connected(await o)
  const [code, description] = await nextEvent<[number, string]>(connection, 'close', 3000)
  t.is(code, 1006)
  t.is(description, 'Peer not responding.')
})

test('assembleFragments:false in the client config gives frame events, not messages', async (t) => {
  const server = await rawServer(t, (req, socket) =>
    socket.write(Buffer.concat([Buffer.from(response101(req)), Buffer.from('0103616263' + '800164', 'hex')])),
  )
  const c = new WebSocketClient({ assembleFragments: false })
  const frames: Array<[number, boolean, string]> = []
  let messages = 0
  const done = new Promise<void>((resolve) =>
    c.once('connect', (conn) => {
      conn.on('message', () => messages++)
      conn.on('frame', (f: WebSocketFrame) => {
        frames.push([f.opcode, f.fin, f.binaryPayload.toString()])
        if (frames.length === 2) resolve()
      })
    }),
  )
  c.connect(server.url)
  await within(done, 3000, 'the frames')
  t.deepEqual(frames, [
    [1, false, 'abc'],
    [0, true, 'd'],
  ])
  t.is(messages, 0)
})

test('failure messages match websocket@1.0.35 for the failures both libraries detect', async (t) => {
  const { createRequire } = await import('node:module')
  const Original = (createRequire(import.meta.url)('websocket') as { client: typeof WebSocketClient }).client
  const chat = 'Sec-WebSocket-Protocol: chat'
  const replies: Array<(req: RawRequest) => string> = [
    (req) => response101(req, [chat], acceptFor('other')),
    () => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${chat}\r\n\r\n`,
    (req) => response101(req, [chat]).replace('Upgrade: websocket', 'Upgrade: h2c'),
    (req) => response101(req, ['Sec-WebSocket-Protocol: other'], 'wrong too'),
    () => 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nX-WebSocket-Reject-Reason: no\r\n\r\n',
  ]
  for (const reply of replies) {
    const server = await rawServer(t, (req, socket) => socket.write(reply(req)))
    const messages: string[] = []
    for (const Client of [Original, WebSocketClient]) {
      const c = new Client()
      const o = outcome(c)
      c.connect(server.url, ['chat'])
      // The expected accept value depends on each client's random key.
      messages.push(failed(await o).message.replace(/value of \S+$/, 'value of <key>'))
    }
    t.is(messages[1], messages[0])
  }
})
