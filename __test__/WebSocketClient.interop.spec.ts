// Our client against real servers: the `ws` package (ws:// and wss://) and Python `websockets` 17.4.
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { ensurePython } from '../scripts/python-env.mjs'
import { WebSocketClient, type IClientConfig } from '../ts/WebSocketClient.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import { closeOf, connected, failed, nextEvent, outcome } from './helpers/client-events.js'
import { makeCert, startPythonPeer, startWsPeer, startWssPeer } from './helpers/client-peers.js'

interface Message {
  type: string
  utf8Data?: string
  binaryData?: Buffer
}

let cred: { key: Buffer; cert: Buffer }

test.before(() => {
  ensurePython()
  cred = makeCert()
})

async function open(
  url: string,
  protocols?: string[],
  config?: IClientConfig,
): Promise<{ connection: WebSocketConnection; client: WebSocketClient }> {
  const client = new WebSocketClient(config)
  const o = outcome(client, 10000)
  client.connect(url, protocols)
  return { connection: connected(await o), client }
}

async function echo(connection: WebSocketConnection, data: string | Buffer): Promise<Message> {
  const got = nextEvent<[Message]>(connection, 'message', 10000)
  if (typeof data === 'string') connection.sendUTF(data)
  else connection.sendBytes(data)
  return (await got)[0]
}

const peers: Array<[string, (t: ExecutionContext) => Promise<{ port: number }>]> = [
  ['ws', startWsPeer],
  ['python websockets', startPythonPeer],
]

for (const [name, start] of peers) {
  test(`${name}: echo text, binary, empty text, and a message we fragment`, async (t) => {
    const { port } = await start(t)
    const { connection } = await open(`ws://127.0.0.1:${port}/`, undefined, { fragmentationThreshold: 1000 })
    t.deepEqual(await echo(connection, 'héllo wörld'), { type: 'utf8', utf8Data: 'héllo wörld' })
    t.deepEqual(await echo(connection, ''), { type: 'utf8', utf8Data: '' })
    const bin = Buffer.from([0, 1, 2, 253, 254, 255])
    t.deepEqual((await echo(connection, bin)).binaryData, bin)
    const big = 'x'.repeat(4500) + '✓'
    t.is((await echo(connection, big)).utf8Data, big)
    connection.close()
    t.is((await closeOf(connection))[0], 1000)
  })

  test(`${name}: echo a 1 MiB binary message`, async (t) => {
    const { port } = await start(t)
    const { connection } = await open(`ws://127.0.0.1:${port}/`)
    const payload = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff
    const back = await echo(connection, payload)
    t.is(back.type, 'binary')
    t.true(payload.equals(back.binaryData!))
    connection.close()
    await closeOf(connection)
  })

  test(`${name}: subprotocol selected from our list; none selected is accepted`, async (t) => {
    const { port } = await start(t)
    const a = await open(`ws://127.0.0.1:${port}/`, ['superchat', 'chat'])
    t.is(a.connection.protocol, 'chat')
    const b = await open(`ws://127.0.0.1:${port}/`, ['other'])
    t.falsy(b.connection.protocol)
    const closed = Promise.all([closeOf(a.connection), closeOf(b.connection)])
    a.connection.close()
    b.connection.close()
    await closed
  })

  test(`${name}: server closes with 4001 "bye" → our close event carries it`, async (t) => {
    const { port } = await start(t)
    const client = new WebSocketClient()
    const o = outcome(client, 10000)
    client.connect(`ws://127.0.0.1:${port}/close4001`)
    const connection = connected(await o)
    t.deepEqual(await closeOf(connection), [4001, 'bye'])
  })
}

test('ws: our close(4000, reason) reaches the server with code and reason', async (t) => {
  const peer = await startWsPeer(t)
  const { connection } = await open(`ws://127.0.0.1:${peer.port}/`)
  connection.close(4000, 'client going')
  t.is((await closeOf(connection))[0], 4000)
  for (let i = 0; i < 100 && peer.closes.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  t.deepEqual(peer.closes, [[4000, 'client going']])
})

test('python websockets: a 403 from process_request → connectFailed naming the status', async (t) => {
  const { port } = await startPythonPeer(t)
  const client = new WebSocketClient()
  const o = outcome(client, 10000)
  client.connect(`ws://127.0.0.1:${port}/reject`)
  t.regex(failed(await o).message, /^Server responded with a non-101 status: 403 Forbidden\n/)
})

test('wss: trusted through tlsOptions.ca → echo works', async (t) => {
  const peer = await startWssPeer(t, cred)
  const { connection } = await open(`wss://127.0.0.1:${peer.port}/`, ['chat'], { tlsOptions: { ca: cred.cert } })
  t.is(connection.protocol, 'chat')
  t.deepEqual(await echo(connection, 'over tls'), { type: 'utf8', utf8Data: 'over tls' })
  connection.close()
  await closeOf(connection)
})

test('wss: rejectUnauthorized:false → connects to the self-signed server', async (t) => {
  const peer = await startWssPeer(t, cred)
  const { connection } = await open(`wss://localhost:${peer.port}/`, undefined, {
    tlsOptions: { rejectUnauthorized: false },
  })
  t.deepEqual(await echo(connection, 'x'), { type: 'utf8', utf8Data: 'x' })
  connection.close()
  await closeOf(connection)
})

test('wss: an untrusted certificate → connectFailed with the TLS error, no connect', async (t) => {
  const peer = await startWssPeer(t, cred)
  const client = new WebSocketClient()
  const o = outcome(client, 10000)
  client.connect(`wss://127.0.0.1:${peer.port}/`)
  const error = failed(await o) as NodeJS.ErrnoException
  t.is(error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT')
})
