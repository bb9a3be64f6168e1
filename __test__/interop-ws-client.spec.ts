// Our server against the `ws` package's client: echo (text, binary, fragmented, large), close codes both
// ways, subprotocol negotiation, frame limit.
import test from 'ava'
import WebSocket from 'ws'
import { within } from './helpers/conn-pair.js'
import { startEchoServer, wsOpened } from './helpers/server-echo.js'

function open(t: { teardown(fn: () => void): void }, url: string, protocols?: string[]): Promise<WebSocket> {
  return wsOpened(t, new WebSocket(url, protocols, { origin: 'http://interop.test' }))
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return within(
    new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary }))),
    5000,
    'a message',
  )
}

function closed(ws: WebSocket): Promise<[number, string]> {
  return within(new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()]))), 5000, 'the close')
}

test('ws client: text and binary echo', async (t) => {
  const server = await startEchoServer(t)
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`)
  ws.send('héllo')
  const text = await nextMessage(ws)
  t.false(text.isBinary)
  t.is(text.data.toString(), 'héllo')
  ws.send(Buffer.from('00ff10', 'hex'))
  const bin = await nextMessage(ws)
  t.true(bin.isBinary)
  t.is(bin.data.toString('hex'), '00ff10')
  ws.send('')
  t.is((await nextMessage(ws)).data.length, 0)
})

test('ws client: a message sent in three fragments comes back whole', async (t) => {
  const server = await startEchoServer(t)
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`)
  ws.send('frag', { fin: false })
  ws.send('men', { fin: false })
  ws.send('ted', { fin: true })
  t.is((await nextMessage(ws)).data.toString(), 'fragmented')
})

test('ws client: a 1 MiB binary message round-trips (server fragments outgoing at 16 KiB)', async (t) => {
  const server = await startEchoServer(t, { maxReceivedFrameSize: 0x200000, maxReceivedMessageSize: 0x200000 })
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`)
  const payload = Buffer.alloc(0x100000)
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff
  ws.send(payload)
  const echo = await nextMessage(ws)
  t.true(echo.isBinary)
  t.true(echo.data.equals(payload))
})

test('ws client: a frame above maxReceivedFrameSize (64 KiB default) → close 1009', async (t) => {
  const server = await startEchoServer(t)
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`)
  const whenClosed = closed(ws)
  ws.send(Buffer.alloc(0x10001))
  const [code] = await whenClosed
  t.is(code, 1009)
})

test('ws client closes with 4001 "bye": the server sees (4001, "bye")', async (t) => {
  const server = await startEchoServer(t)
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`)
  const serverClose = server.nextClose()
  const clientClose = closed(ws)
  ws.close(4001, 'bye')
  t.deepEqual(await serverClose, [4001, 'bye'])
  // The reply is 1000 with no reason, as WebSocket-Node replies to any valid peer close code.
  t.deepEqual(await clientClose, [1000, ''])
})

test('server closes with 4002 "server bye": the ws client sees it', async (t) => {
  const server = await startEchoServer(t)
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`)
  const clientClose = closed(ws)
  ws.send('close-me')
  t.deepEqual(await clientClose, [4002, 'server bye'])
})

test('subprotocol: accepted case-insensitively, the client gets its own spelling back', async (t) => {
  const server = await startEchoServer(t)
  const ws = await open(t, `ws://127.0.0.1:${server.port}/`, ['other', 'Chat'])
  t.is(ws.protocol, 'Chat')
  t.deepEqual(server.protocols, ['chat'])
  const plain = await open(t, `ws://127.0.0.1:${server.port}/`)
  t.is(plain.protocol, '')
  t.deepEqual(server.protocols, ['chat', null])
})

test('broadcast / broadcastUTF / broadcastBytes reach every connection; shutDown closes them (1000)', async (t) => {
  const server = await startEchoServer(t)
  const a = await open(t, `ws://127.0.0.1:${server.port}/`)
  const b = await open(t, `ws://127.0.0.1:${server.port}/`)
  t.is(server.wsServer.connections.length, 2)
  for (const [send, expected] of [
    [() => server.wsServer.broadcast('all'), 'text:all'],
    [() => server.wsServer.broadcast(Buffer.from('ff', 'hex')), 'binary:ff'],
    [() => server.wsServer.broadcastUTF(42), 'text:42'],
    [() => server.wsServer.broadcastBytes(Buffer.from('0001', 'hex')), 'binary:0001'],
  ] as Array<[() => void, string]>) {
    const got = Promise.all([nextMessage(a), nextMessage(b)])
    send()
    for (const m of await got) t.is(m.isBinary ? `binary:${m.data.toString('hex')}` : `text:${m.data}`, expected)
  }
  const serverCloses: number[] = []
  server.wsServer.on('close', (connection, code) => {
    t.false(server.wsServer.connections.includes(connection))
    serverCloses.push(code)
  })
  const closes = Promise.all([closed(a), closed(b)])
  server.wsServer.shutDown()
  t.deepEqual((await closes).map(([code]) => code), [1000, 1000])
  for (let i = 0; i < 100 && serverCloses.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.is(server.wsServer.connections.length, 0)
  t.deepEqual(serverCloses, [1000, 1000])
})
