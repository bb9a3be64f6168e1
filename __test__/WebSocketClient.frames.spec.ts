// Our client after a good 101 from a raw TCP server that then misbehaves (security S1, S2, S19; RFC 6455 §5.1):
// every case must end in the right close code — never a throw, a hang or unbounded buffering.
import test from 'ava'
import type { ExecutionContext } from 'ava'
import type net from 'node:net'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import { FrameReader, rawServer, response101, serverFrame } from './helpers/client-raw-server.js'
import { closeOf, connected, nextEvent, outcome } from './helpers/client-events.js'
import { within } from './helpers/conn-pair.js'

interface Session {
  connection: WebSocketConnection
  socket: net.Socket
  reader: FrameReader
}

/** Handshake with a raw server; `first` is written in the same TCP write as the 101. */
async function session(t: ExecutionContext, first: Buffer = Buffer.alloc(0)): Promise<Session> {
  const reader = new FrameReader()
  let socket!: net.Socket
  const server = await rawServer(t, (req, s) => {
    socket = s
    s.on('data', (d: Buffer) => reader.push(d))
    s.write(Buffer.concat([Buffer.from(response101(req), 'latin1'), first]))
  })
  const c = new WebSocketClient()
  const o = outcome(c)
  c.connect(server.url)
  const connection = connected(await o)
  connection.on('error', () => {})
  return { connection, socket, reader }
}

function closeCode(payload: Buffer): number {
  return payload.length >= 2 ? payload.readUInt16BE(0) : 1005
}

test('a frame in the same TCP packet as the 101 is delivered (bytes with the 101 are not lost)', async (t) => {
  const reader = new FrameReader()
  const server = await rawServer(t, (req, s) => {
    s.on('data', (d: Buffer) => reader.push(d))
    s.write(Buffer.concat([Buffer.from(response101(req), 'latin1'), Buffer.from('8105' + '48656c6c6f', 'hex')]))
  })
  const c = new WebSocketClient()
  const got = new Promise<unknown>((resolve) => c.once('connect', (conn) => conn.once('message', resolve)))
  c.connect(server.url)
  t.deepEqual(await within(got, 3000, 'the message'), { type: 'utf8', utf8Data: 'Hello' })
})

test('client frames are masked; text, binary and close reach the server intact', async (t) => {
  const { connection, reader } = await session(t)
  connection.sendUTF('héllo')
  connection.sendBytes(Buffer.from([0, 1, 2, 255]))
  connection.close(4000, 'bye now')
  const text = await reader.waitFor(0x1)
  const bin = await reader.waitFor(0x2)
  const close = await reader.waitFor(0x8)
  t.true(text.masked && bin.masked && close.masked)
  t.is(text.payload.toString(), 'héllo')
  t.deepEqual([...bin.payload], [0, 1, 2, 255])
  t.is(closeCode(close.payload), 4000)
  t.is(close.payload.subarray(2).toString(), 'bye now')
})

test('server close 4001 "bye" → close event (4001, "bye") and a 1000 close reply (as WebSocket-Node)', async (t) => {
  const { connection, socket, reader } = await session(t)
  const closed = closeOf(connection)
  socket.write(serverFrame(0x8, Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')])))
  const reply = await reader.waitFor(0x8)
  t.true(reply.masked)
  t.is(closeCode(reply.payload), 1000)
  socket.end()
  t.deepEqual(await closed, [4001, 'bye'])
})

test('ping from the server is answered with a masked pong carrying the same payload', async (t) => {
  const { socket, reader } = await session(t)
  socket.write(Buffer.from('8903' + '616263', 'hex'))
  const pong = await reader.waitFor(0xa)
  t.true(pong.masked)
  t.is(pong.payload.toString(), 'abc')
})

test('a masked server frame → close 1002 (RFC 6455 §5.1: the client MUST fail)', async (t) => {
  const { connection, socket, reader } = await session(t)
  const closed = closeOf(connection)
  // "Hello" masked with key 37fa213d (RFC 6455 §5.7 example)
  socket.write(Buffer.from('818537fa213d7f9f4d5158', 'hex'))
  const [code] = await closed
  t.is(code, 1002)
  t.is(closeCode((await reader.waitFor(0x8)).payload), 1002)
})

test('a 9 MiB frame header to a default client → 1009 before any payload is sent (security S1/S19)', async (t) => {
  const { connection, socket, reader } = await session(t)
  const closed = closeOf(connection)
  const head = Buffer.alloc(10)
  head[0] = 0x82
  head[1] = 127
  head.writeBigUInt64BE(9n * 1024n * 1024n, 2)
  socket.write(head)
  t.is((await closed)[0], 1009)
  t.is(closeCode((await reader.waitFor(0x8)).payload), 1009)
})

test('a 9 MiB message in 1 MiB fragments to a default client → 1009 (maxReceivedMessageSize 8 MiB)', async (t) => {
  const { connection, socket } = await session(t)
  const closed = closeOf(connection, 10000)
  let messages = 0
  connection.on('message', () => messages++)
  const chunk = Buffer.alloc(1024 * 1024, 0x61)
  for (let i = 0; i < 9 && !socket.destroyed; i++) {
    socket.write(serverFrame(i === 0 ? 0x2 : 0x0, chunk, { fin: i === 8 }))
  }
  t.is((await closed)[0], 1009)
  t.is(messages, 0)
})

test('a 2^63 payload length → 1002, no throw (security S2)', async (t) => {
  const { connection, socket } = await session(t)
  const closed = closeOf(connection)
  socket.write(Buffer.from('827f8000000000000000', 'hex'))
  t.is((await closed)[0], 1002)
})

test('TCP closed by the server without a close frame → 1006', async (t) => {
  const { connection, socket } = await session(t)
  const closed = closeOf(connection)
  socket.destroy()
  t.is((await closed)[0], 1006)
})

test('a server that ignores our close frame (and keeps TCP half-open) is cut off after closeTimeout', async (t) => {
  const reader = new FrameReader()
  let serverSocket!: net.Socket
  const server = await rawServer(
    t,
    (req, s) => {
      serverSocket = s
      s.on('data', (d: Buffer) => reader.push(d))
      s.write(response101(req))
    },
    { allowHalfOpen: true },
  )
  const c = new WebSocketClient({ closeTimeout: 200 })
  const o = outcome(c)
  c.connect(server.url)
  const connection = connected(await o)
  const closed = closeOf(connection, 3000)
  const serverSawFin = nextEvent(serverSocket, 'end', 3000)
  const started = Date.now()
  connection.close(1000, 'done')
  t.is(closeCode((await reader.waitFor(0x8)).payload), 1000)
  await serverSawFin
  // The server never answers and never closes its side: only our close timer can end this (the original waited
  // for the peer forever, issue #241).
  t.deepEqual(await closed, [1000, 'done'])
  t.true(Date.now() - started >= 150)
})
