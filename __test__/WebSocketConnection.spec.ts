/**
 * WebSocketConnection receive and send paths over a real TCP pair, both roles, frames as hex.
 * Every test runs under the backend chosen by FERROSOCKET_BACKEND.
 */
import { createHash } from 'node:crypto'
import test from 'ava'
import { closeOf, collect, connPair, frameHex, peerBytes, ROLES, until } from './helpers/conn-pair.js'
import type { Role } from './helpers/conn-pair.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
/** Feeds bytes straight into the connection as separate socket chunks (deterministic chunking). */
const copy = (b: Buffer): Buffer => Buffer.from(b)

for (const role of ROLES) {
  test(`${role}: text and binary messages, close frame masked only by the client`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.send('8105' + '48656c6c6f' + '8203' + '010203' + '8100' + '8200')
    await until(() => got.length === 4)
    t.deepEqual(got, [
      { t: 'text', d: 'Hello' },
      { t: 'binary', d: '010203' },
      { t: 'text', d: '' },
      { t: 'binary', d: '' },
    ])
    p.conn.close(1000, 'bye')
    const [f] = await p.waitFrames((fs) => fs.length === 1)
    t.is(f!.opcode, 8)
    t.deepEqual(closeOf(f!), { code: 1000, reason: 'bye' })
    t.is(f!.masked, role === 'client')
  })

  test(`${role}: fragmented text and binary messages`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.send('0103' + '48656c' + '0000' + '8002' + '6c6f')
    p.send('0201' + 'aa' + '0001' + 'bb' + '8001' + 'cc')
    await until(() => got.length === 2)
    t.deepEqual(got, [
      { t: 'text', d: 'Hello' },
      { t: 'binary', d: 'aabbcc' },
    ])
  })

  test(`${role}: control frames between fragments are handled and the message is assembled`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    const pongs: string[] = []
    const pings: string[] = []
    p.conn.on('pong', (d) => pongs.push(d.toString()))
    p.conn.on('ping', (_cancel, d) => pings.push(d.toString()))
    p.send('0103' + '48656c' + '8901' + '61' + '8a01' + '62' + '8002' + '6c6f')
    await until(() => got.length === 1)
    t.deepEqual(got, [{ t: 'text', d: 'Hello' }])
    t.deepEqual(pings, ['a'])
    t.deepEqual(pongs, ['b'])
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(fs[0]!.opcode, 0x0a)
    t.is(fs[0]!.payload.toString(), 'a')
    t.is(fs[0]!.masked, role === 'client')
  })

  test(`${role}: one chunk holding 600 frames is delivered in order (out array refilled)`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    let hex = ''
    for (let i = 0; i < 600; i++) hex += frameHex(0x81, String(i))
    p.conn.handleSocketData(peerBytes(role, hex))
    t.is(got.length, 600, 'all delivered synchronously')
    t.deepEqual(
      got.map((m) => m.d),
      Array.from({ length: 600 }, (_, i) => String(i)),
    )
  })

  test(`${role}: a frame stream split at every byte boundary gives the same messages`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    const big = Buffer.alloc(300, 0x5a)
    const stream = peerBytes(
      role,
      '8105' + '48656c6c6f' + frameHex(0x82, big) + '8900' +
        ('0102' + 'e282' + '8001' + 'ac') + frameHex(0x81, '€'.repeat(50)),
    )
    const expected = [
      { t: 'text', d: 'Hello' },
      { t: 'binary', d: big.toString('hex') },
      { t: 'text', d: '€' },
      { t: 'text', d: '€'.repeat(50) },
    ]
    for (let k = 1; k < stream.length; k++) {
      got.length = 0
      p.conn.handleSocketData(copy(stream.subarray(0, k)))
      p.conn.handleSocketData(copy(stream.subarray(k)))
      if (got.length !== 4 || JSON.stringify(got) !== JSON.stringify(expected)) {
        t.fail(`split at ${k}: ${JSON.stringify(got).slice(0, 200)}`)
        return
      }
    }
    // And one byte per chunk.
    got.length = 0
    for (let i = 0; i < stream.length; i++) p.conn.handleSocketData(copy(stream.subarray(i, i + 1)))
    t.deepEqual(got, expected)
    t.true(p.conn.connected)
  })

  test(`${role}: 1 MiB frames across many chunks, then a small frame`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFrameSize: 4 << 20, maxReceivedMessageSize: 8 << 20 })
    const got: Buffer[] = []
    p.conn.on('message', (m) => got.push(m.type === 'binary' ? m.binaryData : Buffer.from(m.utf8Data)))
    const big = Buffer.alloc(1 << 20)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0xff
    const text = Buffer.from('ü'.repeat(1 << 19))
    p.send(frameHex(0x82, big) + frameHex(0x81, text) + '8102' + '6f6b')
    await until(() => got.length === 3, 10000)
    t.is(sha(got[0]!), sha(big))
    t.is(sha(got[1]!), sha(text))
    t.is(got[2]!.toString(), 'ok')
    // Deterministic odd chunking through the pending-frame path, key rotation at every offset mod 4.
    got.length = 0
    const stream = peerBytes(role, frameHex(0x82, big))
    for (let i = 0, n = 1; i < stream.length; i += n, n = (n * 3 + 1) % 9973 || 1) {
      p.conn.handleSocketData(copy(stream.subarray(i, i + n)))
    }
    t.is(got.length, 1)
    t.is(sha(got[0]!), sha(big))
  })

  test(`${role}: a fragmented 1 MiB binary message assembled from 64 fragments`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFrameSize: 1 << 20, maxReceivedMessageSize: 2 << 20 })
    const got: Buffer[] = []
    p.conn.on('message', (m) => m.type === 'binary' && got.push(m.binaryData))
    const big = Buffer.alloc(1 << 20)
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff
    let hex = ''
    for (let i = 0; i < 64; i++) {
      hex += frameHex((i === 63 ? 0x80 : 0) | (i === 0 ? 2 : 0), big.subarray(i << 14, (i + 1) << 14))
    }
    p.send(hex)
    await until(() => got.length === 1, 10000)
    t.is(sha(got[0]!), sha(big))
  })

  test(`${role}: UTF-8 code points split across fragments and across chunks`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    // '€' = e2 82 ac, '𝄞' = f0 9d 84 9e, split inside each code point across fragments.
    // A message ending inside a code point (f0 9d …) is invalid.
    p.conn.handleSocketData(peerBytes(role, '0101' + 'e2' + '0001' + '82' + '8003' + 'acf09d'))
    t.deepEqual(got, [])
    t.is(p.conn.closeReasonCode, 1007)
    const q = await connPair(t, role)
    const got2 = collect(q)
    q.conn.handleSocketData(peerBytes(role, '0101' + 'e2' + '0001' + '82' + '0003' + 'acf09d' + '8002' + '849e'))
    t.deepEqual(got2, [{ t: 'text', d: '€𝄞' }])
    // One pending text frame cut inside a code point at every offset.
    const s = '€𝄞a'.repeat(40)
    const frame = peerBytes(role, frameHex(0x81, s))
    for (let k = 1; k < frame.length; k++) {
      got2.length = 0
      q.conn.handleSocketData(copy(frame.subarray(0, k)))
      q.conn.handleSocketData(copy(frame.subarray(k)))
      if (got2.length !== 1 || got2[0]!.d !== s) {
        t.fail(`split at ${k}`)
        return
      }
    }
    t.true(q.conn.connected)
  })

  test(`${role}: invalid UTF-8 fails fast with 1007 at the first bad fragment, before the message ends`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.send('0102' + '4869' + '0002' + 'c328')
    const ev = await p.closed()
    t.deepEqual(ev, { code: 1007, description: 'Invalid UTF-8 Data Received' })
    t.deepEqual(got, [])
    const fs = await p.waitFrames((f) => f.length === 1)
    t.deepEqual(closeOf(fs[0]!), { code: 1007, reason: 'Invalid UTF-8 Data Received' })
  })

  test(`${role}: invalid UTF-8 in the first piece of a large text frame fails before the rest arrives`, async (t) => {
    const p = await connPair(t, role, { maxReceivedFrameSize: 1 << 20 })
    const payload = Buffer.alloc(100000, 0x61)
    payload[10] = 0xff
    const frame = peerBytes(role, frameHex(0x81, payload))
    p.peer.write(frame.subarray(0, 1000))
    const ev = await p.closed()
    t.is(ev.code, 1007)
  })

  test(`${role}: pause() stops delivery mid-chunk; resume() delivers the rest in order`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.conn.on('message', (m) => {
      if (m.type === 'utf8' && m.utf8Data === '2') p.conn.pause()
    })
    p.send('810131' + '810132' + '810133' + '810134')
    await until(() => got.length === 2)
    await new Promise((r) => setTimeout(r, 50))
    t.deepEqual(
      got.map((m) => m.d),
      ['1', '2'],
    )
    t.true(p.conn.inputPaused)
    p.send('810135')
    await new Promise((r) => setTimeout(r, 50))
    t.is(got.length, 2, 'nothing while paused')
    p.conn.resume()
    await until(() => got.length === 5)
    t.deepEqual(
      got.map((m) => m.d),
      ['1', '2', '3', '4', '5'],
    )
  })

  test(`${role}: ping listener can cancel the automatic pong`, async (t) => {
    const p = await connPair(t, role)
    p.conn.on('ping', (cancel, data) => {
      if (data.toString() === 'no') cancel()
    })
    p.send('89026e6f' + '8903' + '796573')
    const fs = await p.waitFrames((f) => f.length >= 1)
    await new Promise((r) => setTimeout(r, 50))
    t.is(p.frames().length, 1)
    t.is(fs[0]!.payload.toString(), 'yes')
  })

  test(`${role}: assembleFragments false: only 'frame' events (control too), pings answered`, async (t) => {
    const p = await connPair(t, role, { assembleFragments: false })
    const frames: Array<[number, boolean, string]> = []
    let messages = 0
    p.conn.on('message', () => messages++)
    p.conn.on('frame', (f) => frames.push([f.opcode, f.fin, (f.binaryPayload ?? Buffer.alloc(0)).toString()]))
    p.send('0101' + '61' + '8901' + '70' + '8001' + '62' + '8101' + '63')
    await until(() => frames.length === 4)
    t.deepEqual(frames, [
      [1, false, 'a'],
      [9, true, 'p'],
      [0, true, 'b'],
      [1, true, 'c'],
    ])
    t.is(messages, 0)
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(fs[0]!.opcode, 0x0a)
  })
}

const fragmentsOf = (role: Role) => `${role}: 40000 bytes at threshold 16384 → 16384 + 16384 + 7232, exact bytes`
for (const role of ROLES) {
  test(fragmentsOf(role), async (t) => {
    const p = await connPair(t, role)
    const text = 'x'.repeat(40000)
    let calls = 0
    p.conn.sendUTF(text, () => calls++)
    const fs = await p.waitFrames((f) => f.length === 3)
    t.deepEqual(
      fs.map((f) => [f.opcode, f.fin, f.payload.length, f.masked]),
      [
        [1, false, 16384, role === 'client'],
        [0, false, 16384, role === 'client'],
        [0, true, 7232, role === 'client'],
      ],
    )
    t.is(Buffer.concat(fs.map((f) => f.payload)).toString(), text)
    await until(() => calls === 1)
    // Exactly the threshold: one frame.
    p.conn.sendBytes(Buffer.alloc(16384, 1))
    const fs2 = await p.waitFrames((f) => f.length === 4)
    t.deepEqual([fs2[3]!.opcode, fs2[3]!.fin, fs2[3]!.payload.length], [2, true, 16384])
    // A big binary payload (cork path when unmasked) and an empty text.
    const big = Buffer.alloc(100000)
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff
    let bigCalls = 0
    p.conn.sendBytes(big, () => bigCalls++)
    p.conn.sendUTF('')
    const fs3 = await p.waitFrames((f) => f.length === 12)
    const parts = fs3.slice(4, 11)
    t.deepEqual(
      parts.map((f) => [f.opcode, f.fin]),
      [[2, false], [0, false], [0, false], [0, false], [0, false], [0, false], [0, true]],
    )
    t.true(Buffer.concat(parts.map((f) => f.payload)).equals(big))
    t.deepEqual([fs3[11]!.opcode, fs3[11]!.fin, fs3[11]!.payload.length], [1, true, 0])
    await until(() => bigCalls === 1)
    t.is(calls, 1)
  })

  test(`${role}: exact header bytes for small and 16-bit lengths`, async (t) => {
    const p = await connPair(t, role, { fragmentOutgoingMessages: false })
    p.conn.sendUTF('Hello')
    p.conn.sendBytes(Buffer.alloc(200, 0xab))
    p.conn.sendBytes(Buffer.alloc(70000, 0xcd))
    await p.waitFrames((f) => f.length === 3)
    const wire = p.wire()
    if (role === 'server') {
      t.is(wire.subarray(0, 7).toString('hex'), '8105' + '48656c6c6f')
      t.is(wire.subarray(7, 11).toString('hex'), '827e00c8')
      t.is(wire.subarray(211, 221).toString('hex'), '827f0000000000011170')
    } else {
      t.is(wire.subarray(0, 2).toString('hex'), '8185')
      t.is(wire.subarray(11, 15).toString('hex'), '82fe00c8')
      t.is(wire.subarray(219, 229).toString('hex'), '82ff0000000000011170')
    }
  })

  test(`${role}: send(50), ping(7), pong(), close(1000, Float32Array): no uninitialised bytes sent`, async (t) => {
    const p = await connPair(t, role)
    p.conn.send(50)
    p.conn.ping(7)
    p.conn.ping(Buffer.alloc(300, 0x41))
    p.conn.pong()
    p.conn.close(1000, new Float32Array(20) as unknown as string)
    const fs = await p.waitFrames((f) => f.length === 5)
    t.deepEqual(
      fs.map((f) => [f.opcode, f.payload.toString('hex')]),
      [
        [1, Buffer.from('50').toString('hex')],
        [9, Buffer.from('7').toString('hex')],
        [9, '41'.repeat(125)],
        [10, ''],
        [8, '03e8' + Buffer.from('Normal connection closure').toString('hex')],
      ],
    )
  })

  test(`${role}: send() rejects values without toString; sendBytes() rejects non-Buffers`, async (t) => {
    const p = await connPair(t, role)
    t.throws(() => p.conn.send(null as unknown as string), {
      message: 'Data provided must either be a Node Buffer or implement toString()',
    })
    t.throws(() => p.conn.sendBytes('x' as unknown as Buffer), {
      message: 'You must pass a Node Buffer object to WebSocketConnection.prototype.sendBytes()',
    })
  })

  test(`${role}: the send callback runs once, and with an error after close`, async (t) => {
    const p = await connPair(t, role)
    const results: Array<string | null> = []
    p.conn.sendUTF('a', (err) => results.push(err ? err.message : null))
    p.conn.close()
    p.conn.sendUTF('b', (err) => results.push(err ? 'error' : null))
    await until(() => results.length === 2)
    await new Promise((r) => setTimeout(r, 30))
    t.deepEqual(results, [null, 'error'])
  })
}

test('client: mask keys come from a CSPRNG pool: distinct, not all zero', async (t) => {
  const p = await connPair(t, 'client')
  for (let i = 0; i < 200; i++) p.conn.sendUTF('k')
  const fs = await p.waitFrames((f) => f.length === 200)
  const keys = new Set(fs.map((f) => f.key!.toString('hex')))
  t.true(keys.size >= 199, `distinct keys: ${keys.size}`)
  t.false(keys.has('00000000') && keys.size === 1)
  t.true(fs.every((f) => f.payload.toString() === 'k'))
})

test('server: outputBufferFull flips while the peer does not read, drain clears it', async (t) => {
  const p = await connPair(t, 'server')
  p.peer.pause()
  const chunk = Buffer.alloc(64 * 1024, 1)
  let n = 0
  while (!p.conn.outputBufferFull && n < 2000) {
    p.conn.sendBytes(chunk)
    n++
  }
  t.true(p.conn.outputBufferFull)
  t.true(p.conn.bytesWaitingToFlush > 0)
  let drained = false
  p.conn.on('drain', () => (drained = true))
  p.peer.resume()
  await until(() => drained, 10000)
  t.false(p.conn.outputBufferFull)
})

test('server: maxOutputBufferSize cuts off a peer that does not read (1008, no close frame)', async (t) => {
  const p = await connPair(t, 'server', { maxOutputBufferSize: 1 << 20 })
  p.peer.pause()
  const chunk = Buffer.alloc(64 * 1024, 1)
  for (let i = 0; i < 2000 && p.conn.connected; i++) p.conn.sendBytes(chunk)
  const ev = await p.closed()
  t.is(ev.code, 1008)
  t.is(ev.description, 'Output buffer size limit exceeded.')
})
