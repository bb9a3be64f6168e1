// Our client against our own server (both backends via FERROSOCKET_BACKEND).
import test from 'ava'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import type { WebSocketRequest } from '../ts/WebSocketRequest.js'
import { closeOf, connected, failed, nextEvent, outcome } from './helpers/client-events.js'
import { startOurServer } from './helpers/client-our-server.js'
import { within } from './helpers/conn-pair.js'

interface Message {
  type: string
  utf8Data?: string
  binaryData?: Buffer
}

function echoOn(connection: WebSocketConnection): void {
  connection.on('message', (m: Message) => {
    if (m.type === 'utf8') connection.sendUTF(m.utf8Data ?? '')
    else connection.sendBytes(m.binaryData!)
  })
}

async function connectTo(url: string, protocols?: string[]): Promise<WebSocketConnection> {
  const client = new WebSocketClient()
  const o = outcome(client)
  client.connect(url, protocols)
  return connected(await o)
}

test('echo text, empty text, binary and a 100 KiB message fragmented at 16 KiB', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) => echoOn(req.accept(null, req.origin)))
  const connection = await connectTo(`ws://127.0.0.1:${port}/`)
  const roundTrip = async (data: string | Buffer): Promise<Message> => {
    const got = nextEvent<[Message]>(connection, 'message')
    if (typeof data === 'string') connection.sendUTF(data)
    else connection.sendBytes(data)
    return (await got)[0]
  }
  t.deepEqual(await roundTrip('hi ✓'), { type: 'utf8', utf8Data: 'hi ✓' })
  t.deepEqual(await roundTrip(''), { type: 'utf8', utf8Data: '' })
  const bin = Buffer.from('00ff10', 'hex')
  t.true(bin.equals((await roundTrip(bin)).binaryData!))
  const big = Buffer.alloc(100 * 1024, 0x5a)
  t.true(big.equals((await roundTrip(big)).binaryData!))
  const closed = closeOf(connection)
  connection.close()
  t.is((await closed)[0], 1000)
})

test('the server picks a protocol; it comes back in the client spelling', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) => req.accept(req.requestedProtocols[0], req.origin))
  const connection = await connectTo(`ws://127.0.0.1:${port}/`, ['Chat', 'other'])
  t.is(connection.protocol, 'Chat')
  connection.close()
})

test('a message the server sends right after accept is delivered (it may share the 101 packet)', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) => req.accept().sendUTF('welcome'))
  const client = new WebSocketClient()
  const got = new Promise<Message>((resolve) => client.once('connect', (c) => c.once('message', resolve)))
  client.connect(`ws://127.0.0.1:${port}/`)
  t.deepEqual(await within(got, 5000, 'the welcome'), { type: 'utf8', utf8Data: 'welcome' })
})

test('reject(403, reason) → connectFailed listing the reject reason; httpResponse when listened to', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) => req.reject(403, 'go away'))
  const a = new WebSocketClient()
  const o = outcome(a)
  a.connect(`ws://127.0.0.1:${port}/`)
  const message = failed(await o).message
  t.regex(message, /^Server responded with a non-101 status: 403 Forbidden\n/)
  t.regex(message, /\nx-websocket-reject-reason: go away\n/)
  const b = new WebSocketClient()
  const r = outcome(b, 5000, true)
  b.connect(`ws://127.0.0.1:${port}/`)
  const res = await r
  t.is(res.event, 'httpResponse')
  if (res.event === 'httpResponse') t.is(res.response.statusCode, 403)
})

test('close codes both ways: server 4001 → client; client 4000 → server', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  const serverSide: Array<[number, string]> = []
  wsServer.on('request', (req: WebSocketRequest) => {
    const c = req.accept()
    c.on('close', (code: number, desc: string) => serverSide.push([code, desc]))
    if (req.resource === '/server-closes') c.close(4001, 'bye')
  })
  const first = await connectTo(`ws://127.0.0.1:${port}/server-closes`)
  t.deepEqual(await closeOf(first), [4001, 'bye'])
  const second = await connectTo(`ws://127.0.0.1:${port}/`)
  const closed = closeOf(second)
  second.close(4000, 'client says bye')
  t.deepEqual(await closed, [4000, 'client says bye'])
  for (let i = 0; i < 100 && serverSide.length < 2; i++) await new Promise((r) => setTimeout(r, 20))
  t.deepEqual(serverSide[1], [4000, 'client says bye'])
})

// Regression: `keepalive: true` alone used to throw from inside the 'upgrade' handler (uncaught, the process died),
// as in the original, which required keepaliveInterval and keepaliveGracePeriod without defaults on the client.
test('client keepalive: true alone connects, with the server timings as defaults (20 s / 10 s)', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) => req.accept())
  const client = new WebSocketClient({ keepalive: true })
  const o = outcome(client)
  client.connect(`ws://127.0.0.1:${port}/`)
  const connection = connected(await o)
  t.is(connection.config.keepaliveInterval, 20000)
  t.is(connection.config.keepaliveGracePeriod, 10000)
  connection.close()
})

test('client keepalive pings an idle server and the server pongs back', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  const serverPinged = new Promise<void>((resolve) =>
    wsServer.on('request', (req: WebSocketRequest) => req.accept().once('ping', () => resolve())),
  )
  const client = new WebSocketClient({ keepalive: true, keepaliveInterval: 50, keepaliveGracePeriod: 1000 })
  const o = outcome(client)
  client.connect(`ws://127.0.0.1:${port}/`)
  const connection = connected(await o)
  await serverPinged
  const pong = await nextEvent<[Buffer]>(connection, 'pong')
  t.true(Buffer.isBuffer(pong[0]))
  t.is(connection.state, 'open')
  connection.close()
})

test('bad client keepalive settings throw from the constructor with the original error text', (t) => {
  t.throws(() => new WebSocketClient({ keepalive: true, keepaliveInterval: 'x' as unknown as number }), {
    message: 'keepaliveInterval must be specified and numeric if keepalive is true.',
  })
})
