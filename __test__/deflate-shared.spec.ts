/**
 * One compression per publish (issue 14): permessage-deflate subscribers that agreed server_no_context_takeover
 * with the same parameters share one zlib run per publish; subscribers with context takeover compress per
 * connection; the shared frame keeps each connection's send order. Real ws peers; zlib runs counted by a spy on
 * PerMessageDeflate.prototype.compressParts (so the tests of this file run serially).
 */
import crypto from 'node:crypto'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import WebSocket from 'ws'
import { startServer } from './helpers/server-harness.js'
import type { Harness } from './helpers/server-harness.js'
import { until, withTimeout } from './helpers/raw-clients.js'
import type { IServerConfig } from '../ts/WebSocketServer.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import { PerMessageDeflate } from '../ts/PerMessageDeflate.js'

interface Peer {
  ws: WebSocket
  got: string[]
  conn: WebSocketConnection
  closed: Promise<number>
}

const NCT = { serverNoContextTakeover: true }
const NCT10 = { serverNoContextTakeover: true, serverMaxWindowBits: 10 }

async function peers(t: ExecutionContext, h: Harness, n: number, pmd: WebSocket.ClientOptions['perMessageDeflate']) {
  const out: Peer[] = []
  for (let i = 0; i < n; i++) {
    const before = h.wsServer.connections.length
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/`, { perMessageDeflate: pmd, maxPayload: 0 })
    t.teardown(() => ws.terminate())
    const got: string[] = []
    ws.on('message', (data: Buffer, isBinary) => got.push(isBinary ? `b:${hash(data)}` : `t:${hash(data)}`))
    ws.on('error', () => {})
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    await withTimeout(new Promise((r) => ws.once('open', r)), 'open')
    await until(() => h.wsServer.connections.length === before + 1, 'server side')
    out.push({ ws, got, conn: h.wsServer.connections[before] as WebSocketConnection, closed })
  }
  return out
}

const hash = (b: Buffer | string): string =>
  `${Buffer.byteLength(b)}:${crypto.createHash('sha1').update(b).digest('hex').slice(0, 12)}`

/** Counts zlib compressions per PerMessageDeflate instance for the test's duration. */
function spy(t: ExecutionContext): Map<PerMessageDeflate, number> {
  const calls = new Map<PerMessageDeflate, number>()
  const orig = PerMessageDeflate.prototype.compressParts
  PerMessageDeflate.prototype.compressParts = function (this: PerMessageDeflate, ...args) {
    calls.set(this, (calls.get(this) ?? 0) + 1)
    return orig.apply(this, args)
  }
  t.teardown(() => {
    PerMessageDeflate.prototype.compressParts = orig
  })
  return calls
}

/** Compressible text of `n` bytes (distinct per seed). */
const text = (n: number, seed: string): string => `${seed}:`.concat('the quick brown fox jumps '.repeat(n / 26 + 1)).slice(0, n)

async function server(t: ExecutionContext, config: Partial<IServerConfig> = {}): Promise<Harness> {
  return startServer(t, { autoAcceptConnections: true, perMessageDeflate: true, ...config })
}

test.serial('no-takeover subscribers share one compression per publish and parameter set; order is kept', async (t) => {
  const h = await server(t)
  const a = await peers(t, h, 3, NCT) // shared group 1
  const b = await peers(t, h, 2, NCT10) // shared group 2 (other window)
  const c = await peers(t, h, 2, true) // context takeover: per connection
  const d = await peers(t, h, 2, false) // no deflate
  const agreed = (p: Peer) => p.conn.extensions.map((e) => [e.name, ...e.params.map((q) => q.name + (q.value ? `=${q.value}` : ''))].join(';'))
  for (const p of a) t.deepEqual(agreed(p), ['permessage-deflate;server_no_context_takeover'])
  for (const p of b) t.regex(agreed(p)[0]!, /server_no_context_takeover;server_max_window_bits=10/)
  for (const p of c) t.notRegex(agreed(p)[0]!, /server_no_context_takeover/)
  for (const p of d) t.deepEqual(agreed(p), [])
  const all = [...a, ...b, ...c, ...d]
  for (const p of all) p.conn.subscribe('room')
  const calls = spy(t)

  const expected = new Map<Peer, string[]>(all.map((p) => [p, []]))
  let compressiblePublishes = 0
  for (let round = 0; round < 8; round++) {
    // A direct send first, compressed by each connection itself: the publish below must wait behind it.
    all.forEach((p, i) => {
      const s = text(3000 + i, `direct ${round} ${i}`)
      p.conn.sendUTF(s)
      expected.get(p)!.push(`t:${hash(s)}`)
    })
    const big = text(2000 + round, `pub ${round}`)
    t.is(h.wsServer.publish('room', big), all.length)
    compressiblePublishes++
    for (const p of all) expected.get(p)!.push(`t:${hash(big)}`)
    const bin = Buffer.from(text(5000, `bin ${round}`))
    bin[0] = 0xff
    t.is(h.wsServer.publish('room', bin), all.length)
    compressiblePublishes++
    for (const p of all) expected.get(p)!.push(`b:${hash(bin)}`)
    const small = `small ${round}` // below the threshold (1024): uncompressed, no zlib run
    h.wsServer.publish('room', small)
    for (const p of all) expected.get(p)!.push(`t:${hash(small)}`)
    all.forEach((p, i) => {
      const s = Buffer.from(`direct after ${round} ${i}`)
      p.conn.sendBytes(s)
      expected.get(p)!.push(`b:${hash(s)}`)
    })
    if (round % 2 === 1) await new Promise((r) => setImmediate(r))
  }
  const total = expected.get(all[0]!)!.length
  await until(() => all.every((p) => p.got.length >= total), 'all delivered', 10_000)
  for (const p of all) t.deepEqual(p.got, expected.get(p))

  const own = new Set(all.map((p) => p.conn._deflate?.pmd).filter((x) => x !== undefined))
  let shared = 0
  let sharedInstances = 0
  for (const [pmd, n] of calls) {
    if (own.has(pmd)) continue
    shared += n
    sharedInstances++
  }
  t.is(shared, 2 * compressiblePublishes, 'one zlib run per publish for each of the two no-takeover groups')
  t.true(sharedInstances <= 2 * 4, 'at most 4 deflaters per parameter set')
  for (const p of [...a, ...b]) t.is(calls.get(p.conn._deflate!.pmd), 8, 'only its own direct sends')
  for (const p of c) t.is(calls.get(p.conn._deflate!.pmd), 8 + compressiblePublishes, 'takeover: per connection')
})

for (const fragmentOutgoingMessages of [true, false]) {
  test.serial(`large (> 64 KiB) text and binary, fragmentOutgoingMessages ${fragmentOutgoingMessages}`, async (t) => {
    const h = await server(t, { fragmentOutgoingMessages, maxReceivedFrameSize: 0x1000000 })
    const a = await peers(t, h, 3, NCT)
    const c = await peers(t, h, 1, true)
    const all = [...a, ...c]
    for (const p of all) p.conn.subscribe('big')
    const calls = spy(t)
    const bigText = text(300_000, 'large')
    // Half random: compresses to well over zlib's 16 KiB output chunks, so the payload comes in several parts.
    const bigBin = Buffer.concat([crypto.randomBytes(100_000), Buffer.from(text(100_000, 'bin'))])
    h.wsServer.publish('big', bigText)
    h.wsServer.publish('big', bigBin)
    await until(() => all.every((p) => p.got.length >= 2), 'delivered', 10_000)
    for (const p of all) t.deepEqual(p.got, [`t:${hash(bigText)}`, `b:${hash(bigBin)}`])
    const own = new Set(all.map((p) => p.conn._deflate!.pmd))
    t.is([...calls].filter(([pmd]) => !own.has(pmd)).reduce((s, [, n]) => s + n, 0), 2)
    t.is(calls.get(c[0]!.conn._deflate!.pmd), 2)
  })
}

test.serial('a subscriber closing or dropped during the shared compression; the others get everything', async (t) => {
  const h = await server(t)
  const [closer, dropped, ...rest] = await peers(t, h, 5, NCT)
  const all = [closer!, dropped!, ...rest]
  for (const p of all) p.conn.subscribe('x')
  const m1 = text(200_000, 'one')
  const m2 = text(3000, 'two')
  t.is(h.wsServer.publish('x', m1), 5)
  // Both before the shared compression of m1 can have finished (it runs in the thread pool).
  closer!.conn.close(1000, 'bye')
  dropped!.conn.drop(1001, 'gone')
  // The closing one (its close frame waiting behind m1's compression) is no recipient any more.
  t.is(h.wsServer.publish('x', m2), 3)
  await until(() => rest.every((p) => p.got.length >= 2), 'delivered', 10_000)
  for (const p of rest) t.deepEqual(p.got, [`t:${hash(m1)}`, `t:${hash(m2)}`])
  // close(): the message queued before it still goes out, then the close frame.
  t.is(await withTimeout(closer!.closed, 'closer closed'), 1000)
  t.deepEqual(closer!.got, [`t:${hash(m1)}`])
  // drop(): nothing more is written (its close frame 1001 may or may not precede the TCP close).
  await withTimeout(dropped!.closed, 'dropped closed')
  t.deepEqual(dropped!.got, [])
  t.is(h.wsServer.subscriberCount('x'), 3)
  // The shared deflater still works after subscribers went away mid-compression.
  const m3 = text(4000, 'three')
  t.is(h.wsServer.publish('x', m3), 3)
  await until(() => rest.every((p) => p.got.length >= 3), 'after', 10_000)
  for (const p of rest) t.is(p.got[2], `t:${hash(m3)}`)
})

test.serial('connection.publish and broadcastUTF share the compression too; the sender is left out', async (t) => {
  const h = await server(t)
  const a = await peers(t, h, 3, NCT)
  for (const p of a) p.conn.subscribe('y')
  const calls = spy(t)
  const m = text(5000, 'from a0')
  t.is(a[0]!.conn.publish('y', m), 2)
  const b = text(6000, 'broadcast')
  h.wsServer.broadcastUTF(b)
  await until(() => a.every((p, i) => p.got.length >= (i === 0 ? 1 : 2)), 'delivered', 10_000)
  t.deepEqual(a[0]!.got, [`t:${hash(b)}`])
  for (const p of a.slice(1)) t.deepEqual(p.got, [`t:${hash(m)}`, `t:${hash(b)}`])
  t.is([...calls.values()].reduce((s, n) => s + n, 0), 2)
})
