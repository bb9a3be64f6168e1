/**
 * Replies to one socket chunk are written together (issue 7, then issue 14's outbox: one write per socket per
 * event-loop turn). These tests pin what that must not change: order, content, the automatic-pong limit (replies
 * not written yet are not a stuck peer), a drop in the middle of a chunk, and a chunk with a single frame still
 * answered in the same turn.
 */
import net from 'node:net'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { handshake, startServer } from './helpers/server-harness.js'
import type { Harness } from './helpers/server-harness.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'

const KEY = Buffer.from([0x11, 0x22, 0x33, 0x44])

/** A masked client frame. */
function frame(opcode: number, payload: Buffer | string): Buffer {
  const p = Buffer.from(payload)
  if (p.length > 125) throw new Error('short frames only')
  const out = Buffer.alloc(6 + p.length)
  out[0] = 0x80 | opcode
  out[1] = 0x80 | p.length
  KEY.copy(out, 2)
  for (let i = 0; i < p.length; i++) out[6 + i] = p[i]! ^ KEY[i & 3]!
  return out
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

interface Client {
  socket: net.Socket
  bytes: () => Buffer
  ended: () => boolean
}

async function connect(t: ExecutionContext, h: Harness): Promise<[Client, WebSocketConnection]> {
  const socket = net.connect(h.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  let buf = Buffer.alloc(0)
  let ended = false
  socket.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])))
  socket.on('end', () => (ended = true))
  socket.on('error', () => {})
  socket.write(handshake())
  await until(() => buf.indexOf('\r\n\r\n') >= 0 && h.wsServer.connections.length === 1, 'upgrade')
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4)
  return [{ socket, bytes: () => buf, ended: () => ended }, h.wsServer.connections[0]!]
}

/** Counts the underlying socket writes (single and gathered) of a server-side socket. */
function countWrites(socket: net.Socket): { calls: number; gathered: number[] } {
  const counts = { calls: 0, gathered: [] as number[] }
  const s = socket as unknown as {
    _write: (...a: unknown[]) => void
    _writev: (chunks: unknown[], cb: unknown) => void
  }
  const write = s._write
  const writev = s._writev
  s._write = function (this: unknown, ...a: unknown[]) {
    counts.calls++
    return write.apply(this, a)
  }
  s._writev = function (this: unknown, chunks: unknown[], cb: unknown) {
    counts.calls++
    counts.gathered.push(chunks.length)
    return writev.call(this, chunks, cb)
  }
  return counts
}

test('20 messages in one chunk: 20 echoes in order, written together', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  const [client, conn] = await connect(t, h)
  conn.on('message', (m) => (m.type === 'utf8' ? conn.sendUTF(m.utf8Data) : conn.sendBytes(m.binaryData)))
  const writes = countWrites(conn.socket)
  const msgs = Array.from({ length: 20 }, (_, i) => `message ${i} é`)
  client.socket.write(Buffer.concat(msgs.map((m) => frame(1, m))))
  const echo = (m: string): Buffer => Buffer.concat([Buffer.from([0x81, Buffer.byteLength(m)]), Buffer.from(m)])
  const expected = Buffer.concat(msgs.map(echo))
  await until(() => client.bytes().length >= expected.length, 'echoes')
  t.is(client.bytes().toString('hex'), expected.toString('hex'))
  // One chunk on loopback in practice; however it was split, far fewer writes than messages, and the 20 small
  // echoes of a chunk are one contiguous buffer (no gathered write needed).
  t.true(writes.calls < 20, `${writes.calls} writes`)
  t.deepEqual(writes.gathered, [])
})

test('a single frame per chunk is written at once (no cork left behind)', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  const [client, conn] = await connect(t, h)
  conn.on('message', (m) => (m.type === 'utf8' ? conn.sendUTF(m.utf8Data) : conn.sendBytes(m.binaryData)))
  for (let i = 0; i < 5; i++) {
    client.socket.write(frame(2, Buffer.from([i])))
    await until(() => client.bytes().length === 3 * (i + 1), `echo ${i}`)
    t.is(conn.socket.writableCorked, 0)
  }
  t.is(client.bytes().toString('hex'), '820100' + '820101' + '820102' + '820103' + '820104')
})

test('100 pings in one chunk from a reading peer: 100 pongs, no too-many-pongs drop', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  const [client, conn] = await connect(t, h)
  let closed = false
  conn.on('close', () => (closed = true))
  client.socket.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(9, `p${i}`))))
  const expected = Buffer.concat(
    Array.from({ length: 100 }, (_, i) => Buffer.concat([Buffer.from([0x8a, `p${i}`.length]), Buffer.from(`p${i}`)])),
  )
  await until(() => client.bytes().length >= expected.length, 'pongs')
  t.is(client.bytes().toString('hex'), expected.toString('hex'))
  t.false(closed)
  t.is(conn.socket.writableCorked, 0)
})

test('a protocol error after replies in the same chunk: the replies, then the close frame, in order', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  const [client, conn] = await connect(t, h)
  conn.on('message', (m) => (m.type === 'utf8' ? conn.sendUTF(m.utf8Data) : conn.sendBytes(m.binaryData)))
  const bad = Buffer.from([0x83, 0x80, 0, 0, 0, 0]) // reserved opcode 3 → 1002
  client.socket.write(Buffer.concat([frame(1, 'a'), frame(1, 'b'), bad]))
  await until(() => client.ended(), 'server closed')
  const got = client.bytes().toString('hex')
  t.is(got.slice(0, 12), '8101' + '61' + '8101' + '62')
  // Then the close frame: 1002 with the reason text.
  t.is(got.slice(12, 14), '88')
  t.is(got.slice(16, 20), '03ea')
  t.is(got.length, 16 + 2 * parseInt(got.slice(14, 16), 16))
})

test('a drop without close frame in the middle of a chunk still sends the replies made before it', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  const [client, conn] = await connect(t, h)
  conn.on('message', (m) => {
    if (m.type !== 'utf8') return
    if (m.utf8Data === 'drop') conn.drop(1000, 'x', true)
    else conn.sendUTF(m.utf8Data)
  })
  client.socket.write(Buffer.concat([frame(1, 'a'), frame(1, 'b'), frame(1, 'drop'), frame(1, 'c')]))
  await until(() => client.socket.destroyed || client.ended(), 'server gone')
  t.is(client.bytes().toString('hex'), '8101' + '61' + '8101' + '62')
})
