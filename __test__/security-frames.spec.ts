/**
 * Attacks of docs/security.md ("What happens on each attack"), frame-level rows not already covered by
 * WebSocketConnection*.spec.ts: each test is named after the advisory or attack it stops, and runs on the backend
 * chosen by FERROSOCKET_BACKEND (npm test runs both).
 */
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'
import test from 'ava'
import { WebSocket as WsClient } from 'ws'
import { MAX_PAYLOAD_SIZE, resolveConnectionOptions } from '../ts/config.js'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { WebSocketServer } from '../ts/WebSocketServer.js'
import { takeMaskKeys } from '../ts/maskKeys.js'
import { closeOf, collect, connPair, frameHex, peerBytes, PMD, ROLES, until } from './helpers/conn-pair.js'

const PMD_ON = { perMessageDeflate: true }
/** A compressed message's payload: sync-flushed, the 00 00 ff ff tail removed (RFC 7692 §7.2.1). */
function syncFlushed(text: string): Buffer {
  const z = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  return z.subarray(0, z.length - 4)
}
const TOO_MANY_PONGS = 'Peer is not reading: too many automatic pongs queued.'
const TOO_MANY_FRAGMENTS = 'Maximum number of message fragments exceeded.'

for (const role of ROLES) {
  test(`${role}: undici CVE-2026-1528 — a 2^53+1 length, frame size unlimited → 1009, no throw`, async (t) => {
    const p = await connPair(t, role, {
      maxReceivedFrameSize: Number.MAX_SAFE_INTEGER,
      maxReceivedMessageSize: Number.MAX_SAFE_INTEGER,
    })
    p.send('827f0020000000000001')
    const ev = await p.closed()
    t.is(ev.code, 1009)
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(closeOf(fs[0]!).code, 1009)
  })

  test(`${role}: undici CVE-2026-1528 — 64-bit lengths (top bit, 2^53) byte by byte → same codes`, async (t) => {
    for (const [hex, code] of [
      ['827fffffffffffffffff', 1002],
      ['827f0020000000000000', 1009],
    ] as const) {
      const p = await connPair(t, role)
      const bytes = peerBytes(role, hex)
      for (let i = 0; i < bytes.length && p.conn.connected; i++) p.conn.handleSocketData(bytes.subarray(i, i + 1))
      t.is((await p.closed()).code, code, hex)
    }
  })

  test(`${role}: Autobahn 9.5 chop — a 64 KiB frame in 65,536 one-byte chunks is delivered intact`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFrameSize: 0x20000 })
    const payload = Buffer.alloc(0x10000)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff
    const got = collect(p)
    const bytes = peerBytes(role, frameHex(0x82, payload) + '810161')
    for (let i = 0; i < bytes.length; i++) p.conn.handleSocketData(Buffer.from(bytes.subarray(i, i + 1)))
    await until(() => got.length === 2)
    t.deepEqual(got, [
      { t: 'binary', d: payload.toString('hex') },
      { t: 'text', d: 'a' },
    ])
    t.true(p.conn.connected)
  })

  test(`${role}: ws CVE-2026-62389 — the fragment limit counts data frames per message, not pings`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFragments: 4 })
    const got = collect(p)
    // 4 fragments with 3 pings between them, twice: within the limit each time (reset after FIN).
    const msg = '010161' + '890100' + '000162' + '890100' + '000163' + '890100' + '800164'
    p.send(msg + msg)
    await until(() => got.length === 2)
    t.deepEqual(got, [
      { t: 'text', d: 'abcd' },
      { t: 'text', d: 'abcd' },
    ])
    await p.waitFrames((f) => f.filter((x) => x.opcode === 10).length === 6)
    p.send('010161' + '000162' + '000163' + '000164' + '800165')
    t.deepEqual(await p.closed(), { code: 1008, description: TOO_MANY_FRAGMENTS })
  })
}

test('client: ws CVE-2026-48779 — 1,000,000 empty continuations from a server → 1008, heap bounded', async (t) => {
  const p = await connPair(t, 'client')
  const block = Buffer.from('0000'.repeat(10000), 'hex')
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  p.peer.write(Buffer.from('0100', 'hex'))
  let written = 0
  for (let i = 0; i < 100 && !p.peer.destroyed && p.conn.connected; i++) {
    if (!p.peer.write(block)) await new Promise((r) => p.peer.once('drain', r).once('close', r))
    written += 10000
  }
  t.deepEqual(await p.closed(10000), { code: 1008, description: TOO_MANY_FRAGMENTS })
  const grown = process.memoryUsage().heapUsed - before
  t.true(grown < 64 * 1024 * 1024, `heap growth ${grown >> 20} MiB`)
  t.true(written <= 1000000)
  const fs = await p.waitFrames((f) => f.length === 1, 10000)
  t.is(closeOf(fs[0]!).code, 1008)
})

for (const role of ROLES) {
  test(`${role}: ping flood from a peer that never reads → 1008 (websocket@1.0.35: +108 MB RSS as a client)`, async (t) => {
    const p = await connPair(t, role)
    p.peer.pause()
    const ping = peerBytes(role, frameHex(0x89, Buffer.alloc(125, 0x70)))
    const block = Buffer.concat(Array.from({ length: 2000 }, () => ping))
    let sent = 0
    const pump = async (): Promise<void> => {
      while (p.conn.connected && sent < 400 && !p.peer.destroyed) {
        if (!p.peer.write(block)) await new Promise((r) => setTimeout(r, 5))
        sent++
      }
    }
    void pump()
    t.deepEqual(await p.closed(20000), { code: 1008, description: TOO_MANY_PONGS })
    t.true(sent < 400, 'cut off before the peer ran out of pings')
  })
}

test('client: slow-reader server — maxOutputBufferSize cuts it off with 1008', async (t) => {
  const p = await connPair(t, 'client', { maxOutputBufferSize: 1 << 20 })
  p.peer.pause()
  const chunk = Buffer.alloc(64 * 1024, 1)
  let sent = 0
  for (; sent < 2000 && p.conn.connected; sent++) p.conn.sendBytes(chunk)
  const ev = await p.closed()
  t.deepEqual(ev, { code: 1008, description: 'Output buffer size limit exceeded.' })
  t.true(sent < 2000)
})

// Serial: Math.random is patched to count calls, so no other test of this file may run meanwhile.
test.serial('client: GHSA-w67g-5rqw-f597 (weak mask PRNG) — no Math.random, keys look uniform', async (t) => {
  const p = await connPair(t, 'client')
  const random = Math.random
  let calls = 0
  Math.random = () => {
    calls++
    return random()
  }
  t.teardown(() => {
    Math.random = random
  })
  for (let i = 0; i < 500; i++) p.conn.sendUTF('')
  const fs = await p.waitFrames((f) => f.length === 500)
  Math.random = random
  t.is(calls, 0, 'Math.random used while masking')
  t.is(new Set(fs.map((f) => f.key!.toString('hex'))).size, 500)

  // Statistical sanity on 80,000 key bytes (not a randomness proof): a byte histogram within ~8σ of uniform
  // (chi-square, 255 degrees of freedom) and every bit set in 50 % ± 2 % of the bytes.
  const keys = takeMaskKeys(20000)
  const counts = new Array<number>(256).fill(0)
  const bits = new Array<number>(8).fill(0)
  for (const b of keys) {
    counts[b] = (counts[b] ?? 0) + 1
    for (let k = 0; k < 8; k++) if (b & (1 << k)) bits[k] = (bits[k] ?? 0) + 1
  }
  const expected = keys.length / 256
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
  t.true(chi2 < 255 + 8 * Math.sqrt(2 * 255), `chi-square ${chi2.toFixed(1)}`)
  for (const n of bits) t.true(Math.abs(n / keys.length - 0.5) < 0.02, `bit frequency ${n / keys.length}`)
  // Successive keys are not related by a constant step (an LCG or counter would repeat the difference).
  const diffs = new Set<number>()
  for (let i = 4; i + 4 <= 4000; i += 4) diffs.add((keys.readUInt32BE(i) - keys.readUInt32BE(i - 4)) >>> 0)
  t.true(diffs.size > 990)
})

// Issue 13 (1): "unlimited" limits let a declared length reach Buffer.allocUnsafe, which threw (a RangeError out
// of the socket's 'data' handler killed the process) or allocated 4 GiB for a header and one byte.
const UNLIMITED = [
  ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ['Infinity', Infinity],
  ['2 ** 33', 2 ** 33],
] as const

for (const role of ROLES) {
  for (const [name, limit] of UNLIMITED) {
    test(`${role}: limits ${name} — a declared 2^40-byte frame + 1 byte → 1009, no crash`, async (t) => {
      const p = await connPair(t, role, { maxReceivedFrameSize: limit, maxReceivedMessageSize: limit })
      p.send('827f0000010000000000' + '61')
      t.is((await p.closed()).code, 1009)
      const fs = await p.waitFrames((f) => f.length === 1)
      t.is(closeOf(fs[0]!).code, 1009)
    })
  }

  test(`${role}: limits unlimited — 2^32 is refused (1009), 2^32 − 1 allocates only what arrived`, async (t) => {
    const refused = await connPair(t, role, { maxReceivedFrameSize: Infinity, maxReceivedMessageSize: Infinity })
    refused.send('827f0000000100000000' + '61')
    t.is((await refused.closed()).code, 1009)

    const p = await connPair(t, role, { maxReceivedFrameSize: Infinity, maxReceivedMessageSize: Infinity })
    const before = process.memoryUsage().arrayBuffers
    // Fed synchronously: the header and 1,000 payload bytes are handled when handleSocketData returns.
    p.conn.handleSocketData(peerBytes(role, '827f00000000ffffffff' + '61'.repeat(1000)))
    const grown = process.memoryUsage().arrayBuffers - before
    t.true(grown < 16 * 1024 * 1024, `external memory grew ${grown} bytes for 1,000 received`)
    t.true(p.conn.connected)
  })

  // The same header on the other paths a payload can take: a text frame (the receiver's text message since issue
  // 16), the first fragment of a message, and with permessage-deflate (compressed or not).
  for (const [name, first, deflate] of [
    ['text', 0x81, false],
    ['text fragment', 0x01, false],
    ['deflate on, uncompressed text', 0x81, true],
    ['deflate on, compressed text', 0xc1, true],
    ['deflate on, compressed binary', 0xc2, true],
  ] as const) {
    const config = { maxReceivedFrameSize: Infinity, maxReceivedMessageSize: Infinity, ...(deflate ? PMD_ON : {}) }
    const options = deflate ? { extensions: PMD } : {}
    const head = first.toString(16).padStart(2, '0')
    test(`${role}: limits unlimited, ${name} — 2^40 and 2^32 + 1 are refused (1009), 2^32 − 1 allocates only what arrived`, async (t) => {
      for (const length of ['0000010000000000', '0000000100000001']) {
        const refused = await connPair(t, role, config, options)
        refused.send(`${head}7f${length}61`)
        t.is((await refused.closed()).code, 1009)
      }
      const p = await connPair(t, role, config, options)
      const before = process.memoryUsage().arrayBuffers
      p.conn.handleSocketData(peerBytes(role, `${head}7f00000000ffffffff` + '61'.repeat(1000)))
      const grown = process.memoryUsage().arrayBuffers - before
      t.true(grown < 16 * 1024 * 1024, `external memory grew ${grown} bytes for 1,000 received`)
      t.true(p.conn.connected)
    })
  }

  // Issue 14 (echo): a large binary frame is held as its chunks until a quarter of it is here, then in one buffer.
  test(`${role}: a 4 MiB binary frame — nothing near its length allocated before a quarter arrived; delivered byte-exact`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFrameSize: 8 << 20, maxReceivedMessageSize: 8 << 20 })
    const got: Buffer[] = []
    p.conn.on('message', (m) => m.type === 'binary' && got.push(m.binaryData))
    const payload = Buffer.alloc(4 << 20)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >> 12)) & 0xff
    const header = Buffer.alloc(10)
    header[0] = 0x82
    header[1] = 127
    header.writeBigUInt64BE(BigInt(payload.length), 2)
    const wire = peerBytes(role, Buffer.concat([header, payload]))
    // Socket-sized chunks, each a fresh Buffer (Node never reuses one).
    const chunks: Buffer[] = []
    for (let at = 0; at < wire.length; at += 65536) chunks.push(Buffer.from(wire.subarray(at, at + 65536)))
    const eighth = Math.ceil(chunks.length / 8)
    const before = process.memoryUsage().arrayBuffers
    for (const c of chunks.slice(0, eighth)) p.conn.handleSocketData(c)
    const grown = process.memoryUsage().arrayBuffers - before
    // The chunks fed (~512 KiB, already counted in `before`) are kept; a 4 MiB buffer would show here.
    t.true(grown < 2 << 20, `external memory grew ${grown} bytes after an eighth of a 4 MiB frame`)
    for (const c of chunks.slice(eighth)) p.conn.handleSocketData(c)
    t.is(got.length, 1)
    t.true(got[0]!.equals(payload))
    t.true(p.conn.connected)
  })

  // Issue 13 (3): the parser kept the limits it was built with; a limit set on the connection was ignored.
  test(`${role}: maxReceivedMessageSize lowered at run time — a 3,000-byte fragmented message → 1009`, async (t) => {
    const p = await connPair(t, role)
    p.conn.maxReceivedMessageSize = 1000
    const got = collect(p)
    p.send(frameHex(0x01, 'a'.repeat(1500)) + frameHex(0x80, 'b'.repeat(1500)))
    t.is((await p.closed()).code, 1009)
    t.deepEqual(got, [])
  })

  test(`${role}: maxReceivedMessageSize lowered at run time — a 2,000-byte single frame → 1009`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.send(frameHex(0x81, 'x'.repeat(500)))
    await until(() => got.length === 1)
    p.conn.maxReceivedMessageSize = 1000
    t.is(p.conn.maxReceivedMessageSize, 1000)
    p.send(frameHex(0x82, Buffer.alloc(2000)))
    t.is((await p.closed()).code, 1009)
    t.is(got.length, 1)
  })

  // The other paths a message takes (text in one frame or crossing chunks goes into the receiver's text message,
  // binary fragments into the assembler, compressed messages through inflation): each sees the current limit.
  for (const [name, hex, deflate] of [
    ['a 2,000-byte text frame', frameHex(0x81, 'x'.repeat(2000)), false],
    ['a 3,000-byte fragmented binary message', frameHex(0x02, Buffer.alloc(1500)) + frameHex(0x80, Buffer.alloc(1500)), false],
    ['a compressed text inflating to 2,000 bytes', frameHex(0xc1, syncFlushed('x'.repeat(2000))), true],
  ] as const) {
    test(`${role}: maxReceivedMessageSize lowered at run time — ${name} → 1009`, async (t) => {
      const p = await connPair(t, role, deflate ? PMD_ON : {}, deflate ? { extensions: PMD } : {})
      p.conn.maxReceivedMessageSize = 1000
      const got = collect(p)
      p.send(hex)
      t.is((await p.closed()).code, 1009)
      t.deepEqual(got, [])
    })
  }

  test(`${role}: maxReceivedMessageSize lowered between two fragments — the message in progress → 1009`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.send(frameHex(0x01, 'a'.repeat(800)) + frameHex(0x89, 'mark'))
    await p.waitFrames((f) => f.some((x) => x.opcode === 0x0a))
    p.conn.maxReceivedMessageSize = 1000
    p.send(frameHex(0x80, 'b'.repeat(800)))
    t.is((await p.closed()).code, 1009)
    t.deepEqual(got, [])
  })

  for (const [name, make, deflate] of [
    ['a 2 MiB text frame', () => frameHex(0x81, 'y'.repeat(2 << 20)), false],
    ['a 2 MiB text in two fragments', () => frameHex(0x01, 'y'.repeat(1 << 20)) + frameHex(0x80, 'y'.repeat(1 << 20)), false],
    ['a 2 MiB binary in two fragments', () => frameHex(0x02, Buffer.alloc(1 << 20, 1)) + frameHex(0x80, Buffer.alloc(1 << 20, 1)), false],
    ['a compressed text inflating to 2 MiB', () => frameHex(0xc1, syncFlushed('y'.repeat(2 << 20))), true],
  ] as const) {
    test(`${role}: maxReceivedMessageSize raised at run time — ${name} is delivered`, async (t) => {
      const config = { maxReceivedFrameSize: 4 << 20, ...(deflate ? PMD_ON : {}) }
      const p = await connPair(t, role, config, deflate ? { extensions: PMD } : {})
      p.conn.maxReceivedMessageSize = 4 << 20
      const got: number[] = []
      p.conn.on('message', (m) => got.push(m.type === 'binary' ? m.binaryData.length : m.utf8Data.length))
      p.send(make())
      await until(() => got.length === 1 || !p.conn.connected, 10000)
      t.deepEqual(got, [2 << 20])
      t.true(p.conn.connected)
    })
  }

  test(`${role}: maxReceivedMessageSize raised at run time — a 2 MiB message is delivered`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFrameSize: 4 << 20 })
    p.conn.maxReceivedMessageSize = 4 << 20
    const got: number[] = []
    p.conn.on('message', (m) => got.push(m.type === 'binary' ? m.binaryData.length : -1))
    p.send(frameHex(0x82, Buffer.alloc(2 << 20, 7)))
    await until(() => got.length === 1, 10000)
    t.deepEqual(got, [2 << 20])
    t.true(p.conn.connected)
  })
}

// Issue 13 (3), "the same for maxReceivedFrameSize if it is settable": WebSocket-Node 1.0.35 reads
// `config.maxReceivedFrameSize` for every frame it parses (a WebSocketFrame per frame copies it from
// `connection.config`, the server's or client's own config object), so a change there applies at run time.
for (const role of ROLES) {
  test(`${role}: config.maxReceivedFrameSize lowered at run time — the next 2,000-byte text and binary frames → 1009`, async (t) => {
    for (const opcode of [0x81, 0x82]) {
      const p = await connPair(t, role)
      const got = collect(p)
      p.send(frameHex(0x81, 'x'.repeat(1500)))
      await until(() => got.length === 1)
      p.conn.config.maxReceivedFrameSize = 1000
      p.send(frameHex(0x81, 'y'.repeat(900)) + frameHex(opcode, 'z'.repeat(2000)))
      t.deepEqual(await p.closed(), {
        code: 1009,
        description: 'Frame size of 2000 bytes exceeds maximum accepted frame size',
      })
      t.deepEqual(got.map((m) => m.d.length), [1500, 900])
    }
  })

  test(`${role}: config.maxReceivedFrameSize raised at run time — a 256 KiB frame is delivered`, async (t) => {
    const p = await connPair(t, role)
    const got: number[] = []
    p.conn.on('message', (m) => got.push(m.type === 'binary' ? m.binaryData.length : m.utf8Data.length))
    p.conn.config.maxReceivedFrameSize = 1 << 20
    p.send(frameHex(0x82, Buffer.alloc(256 << 10, 3)) + frameHex(0x81, 'v'.repeat(256 << 10)))
    await until(() => got.length === 2 || !p.conn.connected, 10000)
    t.deepEqual(got, [256 << 10, 256 << 10])
    t.true(p.conn.connected)
  })

  test(`${role}: config.maxReceivedFrameSize set to a non-number at run time — ignored, the limit stays`, async (t) => {
    const p = await connPair(t, role)
    p.conn.config.maxReceivedFrameSize = 'big' as unknown as number
    p.send(frameHex(0x82, Buffer.alloc(0x10001)))
    t.is((await p.closed()).code, 1009)
  })
}

test('server: wsServer.config.maxReceivedFrameSize lowered at run time — every open connection refuses the next large frame', async (t) => {
  const httpServer = http.createServer()
  httpServer.listen(0, '127.0.0.1')
  await once(httpServer, 'listening')
  const wsServer = new WebSocketServer({ httpServer, autoAcceptConnections: true, keepalive: false })
  t.teardown(() => {
    wsServer.shutDown()
    httpServer.close()
  })
  const closes: number[] = []
  wsServer.on('connect', (connection) => connection.on('close', (code: number) => closes.push(code)))
  const { port } = httpServer.address() as AddressInfo
  const peers = [new WsClient(`ws://127.0.0.1:${port}/`), new WsClient(`ws://127.0.0.1:${port}/`)]
  for (const ws of peers) {
    ws.on('error', () => {})
    await once(ws, 'open')
  }
  await until(() => wsServer.connections.length === 2)
  t.true(wsServer.connections.every((c) => c.config === wsServer.config))
  wsServer.config!.maxReceivedFrameSize = 1000
  for (const ws of peers) ws.send(Buffer.alloc(2000))
  await until(() => closes.length === 2)
  t.deepEqual(closes, [1009, 1009])
})

test('limit options: not a number >= 0 → TypeError/RangeError naming the option; above 2^32 − 1 clamped', (t) => {
  t.throws(() => resolveConnectionOptions({ maxReceivedFrameSize: -1 }), {
    instanceOf: RangeError,
    message: 'maxReceivedFrameSize must be a number of bytes >= 0; got -1',
  })
  t.throws(() => resolveConnectionOptions({ maxReceivedMessageSize: NaN }), {
    instanceOf: RangeError,
    message: 'maxReceivedMessageSize must be a number of bytes >= 0; got NaN',
  })
  t.throws(() => resolveConnectionOptions({ maxReceivedMessageSize: '1e6' as unknown as number }), {
    instanceOf: TypeError,
    message: /^maxReceivedMessageSize must be a number of bytes >= 0 \(Infinity = 4294967295\); got string$/,
  })
  t.throws(() => resolveConnectionOptions({ maxReceivedFragments: -3 }), {
    instanceOf: RangeError,
    message: 'maxReceivedFragments must be a number >= 0 (0 = unlimited); got -3',
  })
  t.throws(() => new WebSocketClient({ maxReceivedFrameSize: null as unknown as number }), { instanceOf: TypeError })
  const server = http.createServer()
  t.throws(() => new WebSocketServer({ httpServer: server, maxReceivedMessageSize: -1 }), { instanceOf: RangeError })
  const o = resolveConnectionOptions({ maxReceivedFrameSize: Infinity, maxReceivedMessageSize: 2 ** 40 })
  t.is(o.maxFrameSize, MAX_PAYLOAD_SIZE)
  t.is(o.maxMessageSize, MAX_PAYLOAD_SIZE)
  t.is(MAX_PAYLOAD_SIZE, 2 ** 32 - 1)
})

test('limit options: maxOutputBufferSize and maxPendingPongs not a number >= 0 → TypeError/RangeError (a typo turned the cut-off off)', (t) => {
  t.throws(() => resolveConnectionOptions({ maxOutputBufferSize: '8mb' as unknown as number }), {
    instanceOf: TypeError,
    message: 'maxOutputBufferSize must be a number >= 0 (0 = unlimited); got string',
  })
  t.throws(() => resolveConnectionOptions({ maxOutputBufferSize: -1 }), { instanceOf: RangeError })
  t.throws(() => resolveConnectionOptions({ maxPendingPongs: NaN }), {
    instanceOf: RangeError,
    message: 'maxPendingPongs must be a number >= 0 (0 = unlimited); got NaN',
  })
  t.throws(() => new WebSocketClient({ maxOutputBufferSize: null as unknown as number }), { instanceOf: TypeError })
  const server = http.createServer()
  t.throws(() => new WebSocketServer({ httpServer: server, maxPendingPongs: '60' as unknown as number }), {
    instanceOf: TypeError,
  })
  const o = resolveConnectionOptions({ maxOutputBufferSize: 8 << 20, maxPendingPongs: 0 })
  t.is(o.maxOutputBufferSize, 8 << 20)
  t.is(o.maxPendingPongs, 0)
  t.is(resolveConnectionOptions({}).maxPendingPongs, 60)
  t.is(resolveConnectionOptions({}).maxOutputBufferSize, 0)
})

test('limit options: connection.maxReceivedMessageSize refuses a non-number or negative value', async (t) => {
  const p = await connPair(t, 'server')
  t.throws(() => (p.conn.maxReceivedMessageSize = -1), { instanceOf: RangeError })
  t.throws(() => (p.conn.maxReceivedMessageSize = 'x' as unknown as number), { instanceOf: TypeError })
  p.conn.maxReceivedMessageSize = Infinity
  t.is(p.conn.maxReceivedMessageSize, MAX_PAYLOAD_SIZE)
})
