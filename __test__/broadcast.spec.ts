/**
 * Broadcast frames a message once for all connections (issue 7). These tests pin what that must not change:
 * every raw client gets exactly the bytes a per-connection sendUTF/sendBytes gives it (fragmented or not), a
 * permessage-deflate connection in the mix still gets its own correctly compressed message, connections that are
 * closing get nothing, and the output-buffer accounting of a normal send applies.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import WebSocket from 'ws'
import { startServer } from './helpers/server-harness.js'
import { capture, rawClients, until, withTimeout } from './helpers/raw-clients.js'
import type { IServerConfig } from '../ts/WebSocketServer.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'

const MESSAGES: Array<string | Buffer> = [
  'Hello',
  '',
  'é€😀'.repeat(50), // multi-byte text, 16-bit length
  'x'.repeat(125),
  'y'.repeat(126),
  Buffer.alloc(0),
  Buffer.from('00ff7f80', 'hex'),
  Buffer.alloc(70000, 0xab), // 64-bit length, above the Sender's copy limit
]

async function sameAsPerConnection(t: ExecutionContext, config: Partial<IServerConfig>): Promise<string[]> {
  const h = await startServer(t, { autoAcceptConnections: true, ...config })
  const clients = await rawClients(t, h, 3)
  const broadcastBytes: string[] = []
  for (const m of MESSAGES) {
    if (typeof m === 'string') h.wsServer.broadcastUTF(m)
    else h.wsServer.broadcastBytes(m)
    const viaBroadcast = await capture(h, clients)
    for (const c of h.wsServer.connections) {
      if (typeof m === 'string') c.sendUTF(m)
      else c.sendBytes(m)
    }
    const viaSend = await capture(h, clients)
    t.deepEqual(viaBroadcast, viaSend)
    t.true(viaBroadcast.every((b) => b === viaBroadcast[0]) && viaBroadcast[0]!.length > 0)
    broadcastBytes.push(viaBroadcast[0]!)
  }
  // broadcast() picks the type as send() does: a Buffer is binary, anything else text through toString().
  h.wsServer.broadcast(12345)
  h.wsServer.broadcast(Buffer.from('01', 'hex'))
  t.deepEqual(await capture(h, clients), Array(3).fill('8105' + Buffer.from('12345').toString('hex') + '820101'))
  return broadcastBytes
}

test('broadcast puts the same bytes on the wire as sendUTF/sendBytes on each connection', async (t) => {
  const sent = await sameAsPerConnection(t, {})
  t.is(sent[0], '8105' + Buffer.from('Hello').toString('hex'))
  t.is(sent[1], '8100')
  t.is(sent[5], '8200')
  // Default fragmentationThreshold 16 KiB: 70000 bytes go out as 5 frames, the first 16384 bytes of binary.
  t.is(sent[7]!.slice(0, 8), '027e4000')
})

test('fragmented broadcast (fragmentationThreshold 10) equals the per-connection fragmented send', async (t) => {
  const sent = await sameAsPerConnection(t, { fragmentationThreshold: 10 })
  // 'x' × 125 → 13 frames: text opcode without FIN, 11 continuations, FIN continuation with 5 bytes.
  const x = sent[3]!
  t.is(x.slice(0, 4), '010a')
  t.is(x.slice(24, 28), '000a')
  t.is(x.slice(-14), '8005' + '78'.repeat(5))
  t.is(sent[0], '8105' + Buffer.from('Hello').toString('hex'))
})

test('fragmentOutgoingMessages false: the 70000-byte broadcast is one frame', async (t) => {
  const sent = await sameAsPerConnection(t, { fragmentOutgoingMessages: false, fragmentationThreshold: 10 })
  t.is(sent[7]!.slice(0, 20), '827f' + (70000).toString(16).padStart(16, '0'))
  t.is(sent[3]!.slice(0, 4), '817d')
})

test('a permessage-deflate connection in the mix gets its own compressed message; raw ones plain frames', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true, perMessageDeflate: { threshold: 0 } })
  const raw = await rawClients(t, h, 2)
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/`, { perMessageDeflate: true })
  t.teardown(() => ws.terminate())
  const received: string[] = []
  ws.on('message', (data, isBinary) => received.push(`${isBinary ? 'b' : 't'}:${data.toString()}`))
  await withTimeout(new Promise((r) => ws.once('open', r)), 'ws open')
  t.true(ws.extensions.includes('permessage-deflate'))
  await until(() => h.wsServer.connections.length === 3, 'three connections')
  const text = 'compress me, '.repeat(40)
  h.wsServer.broadcastUTF(text)
  h.wsServer.broadcastBytes(Buffer.from('abc'))
  h.wsServer.broadcastUTF('after')
  await until(() => received.length === 3, 'ws client got three messages')
  t.deepEqual(received, [`t:${text}`, 'b:abc', 't:after'])
  // The raw clients negotiated nothing: plain frames, RSV1 clear.
  await until(() => raw.every((c) => c.bytes.length >= 4 + text.length + 5 + 7), 'raw bytes')
  const expected = Buffer.concat([
    Buffer.from([0x81, 0x7e, text.length >> 8, text.length & 0xff]),
    Buffer.from(text),
    Buffer.from('8203616263', 'hex'),
    Buffer.from('8105', 'hex'),
    Buffer.from('after'),
  ]).toString('hex')
  for (const c of raw) t.is(c.bytes.toString('hex'), expected)
})

test('a closing connection is skipped; the others still get the message', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  const clients = await rawClients(t, h, 3)
  const closing = h.wsServer.connections[1] as WebSocketConnection
  closing.close(1000, 'bye')
  h.wsServer.broadcastUTF('to the open ones')
  const frame = '8110' + Buffer.from('to the open ones').toString('hex')
  await until(() => clients[0]!.bytes.length > 0 && clients[2]!.bytes.length > 0 && clients[1]!.ended, 'delivery')
  t.is(clients[0]!.bytes.toString('hex'), frame)
  t.is(clients[2]!.bytes.toString('hex'), frame)
  t.is(clients[1]!.bytes.toString('hex'), '8805' + '03e8' + Buffer.from('bye').toString('hex'))
})

test('broadcast to a peer that does not read: outputBufferFull, then the maxOutputBufferSize cut-off', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true, maxOutputBufferSize: 1 << 20 })
  const clients = await rawClients(t, h, 2)
  clients[0]!.socket.pause()
  const stuck = h.wsServer.connections[0] as WebSocketConnection
  const reading = h.wsServer.connections[1] as WebSocketConnection
  const closed = new Promise<[number, string]>((r) => stuck.once('close', (code, desc) => r([code, desc])))
  let sawFull = false
  const chunk = Buffer.alloc(256 * 1024, 1)
  // Bounded: kernel buffers take a few MiB at most before writes queue in the socket.
  for (let i = 0; i < 400 && stuck.connected; i++) {
    h.wsServer.broadcastBytes(chunk)
    sawFull ||= stuck.outputBufferFull
    await new Promise((r) => setImmediate(r))
  }
  t.true(sawFull)
  t.deepEqual(await withTimeout(closed, 'cut-off'), [1008, 'Output buffer size limit exceeded.'])
  t.false(h.wsServer.connections.includes(stuck))
  t.true(h.wsServer.connections.includes(reading))
})

test('broadcast with no connections does nothing (and does not stringify)', async (t) => {
  const h = await startServer(t, { autoAcceptConnections: true })
  let calls = 0
  h.wsServer.broadcastUTF({ toString: () => `${++calls}` })
  t.is(calls, 0)
  t.notThrows(() => h.wsServer.broadcastBytes(Buffer.from('x')))
})
