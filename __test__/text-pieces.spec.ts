// Issue 16, text that arrives in pieces (a frame over several socket reads, or several frames): each piece goes into
// the receiver's text message (`codec.textAppend`: natively, memory JavaScript cannot write), is validated once as
// it is appended (streaming, fail-fast, the cut code point carried over), and the string is made at the end from
// those validated bytes (`textFinish`, no second validation). What must hold, on the backend under test and on both
// backends side by side: the same string or the same failing piece as the reference at every split point; 1007 at
// the very byte where the text can no longer become valid; pings and close frames between fragments; memory that
// grows only with arriving bytes and is let go (freed by the next GC) when a connection drops mid-message; 1009 only above V8's maximum
// string length.
import { constants } from 'node:buffer'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { codec, loadNativeCodec, tsCodec } from '../ts/codec/index.js'
import { TEXT_FINAL, TEXT_FRAME_END, type Codec, type TextMessage } from '../ts/codec/types.js'
import { Receiver, type ReceiverSink } from '../ts/Receiver.js'
import { connPair, frameHex, peerBytes, ROLES, type Role } from './helpers/conn-pair.js'

const native = loadNativeCodec()
const BACKENDS: Array<[string, Codec]> = [['ts', tsCodec], ...(native === null ? [] : [['native', native] as [string, Codec]])]

const KEY = [0x37, 0xfa, 0x21, 0x3d] as const
const KEY32 = ((KEY[0] << 24) | (KEY[1] << 16) | (KEY[2] << 8) | KEY[3]) >>> 0
const rotated = (at: number): number => {
  const s = (at & 3) * 8
  return s === 0 ? KEY32 : ((KEY32 << s) | (KEY32 >>> (32 - s))) >>> 0
}
const masked = (b: Buffer): Buffer => Buffer.from(b.map((x, i) => x ^ KEY[i & 3]!))

const SAMPLES: Buffer[] = [
  Buffer.from('plain ascii text'),
  Buffer.from('héllo wörld ÿ'),
  Buffer.from('Ωμέγα 漢字 😀🚀 end'),
  Buffer.from('a😀b'),
  Buffer.concat([Buffer.from('héllo Ω'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('xyz')]),
  Buffer.concat([Buffer.from('ab'), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from('c')]),
  Buffer.concat([Buffer.from('ab'), Buffer.from([0xf4, 0x90, 0x80, 0x80])]),
  Buffer.concat([Buffer.from('é'), Buffer.from([0xc3])]),
  Buffer.from([0xff]),
  Buffer.alloc(0),
]

/** Index of the first byte at which `bytes` can no longer become valid UTF-8 (or its length when only its end is
 * cut), or -1 when valid: the reference for "fail at the same byte". */
function firstBadByte(bytes: Buffer): number {
  let state = 0
  for (let i = 0; i < bytes.length; i++) {
    state = tsCodec.utf8Stream(state, bytes.subarray(i, i + 1), false)
    if (state < 0) return i
  }
  return state === 0 ? -1 : bytes.length
}

/** Feeds `bytes` cut at `cuts` (masked pieces when `mask`); the string, or the index of the piece that failed. */
function feed(c: Codec, bytes: Buffer, cuts: number[], mask: boolean): string | number {
  const m = c.textCreate()
  const wire = mask ? masked(bytes) : bytes
  const bounds = [...cuts, bytes.length]
  let from = 0
  for (const [i, to] of bounds.entries()) {
    const next = i + 1 === bounds.length ? TEXT_FINAL : bytes.length - to
    if (c.textAppend(m, wire.subarray(from, to), mask ? rotated(from) : -1, next) < 0) {
      c.textReset(m)
      return i
    }
    from = to
  }
  return c.textFinish(m, false)
}

/** What `feed` must return: the reference string, or the piece holding the first bad byte. */
function expected(bytes: Buffer, cuts: number[]): string | number {
  const bad = firstBadByte(bytes)
  if (bad === -1) return bytes.toString('utf8')
  const bounds = [...cuts, bytes.length]
  // A cut code point at the very end fails with the final piece; an impossible byte with the piece holding it.
  if (bad === bytes.length) return bounds.length - 1
  return bounds.findIndex((to) => to > bad)
}

test('codec: every one- and two-cut split, masked or not: the reference string or the failing piece, both backends', (t) => {
  for (const [name, c] of [...BACKENDS, ['under test', codec] as [string, Codec]]) {
    for (const bytes of SAMPLES) {
      for (const mask of [false, true]) {
        for (let a = 0; a <= bytes.length; a++) {
          t.is(feed(c, bytes, [a], mask), expected(bytes, [a]), `${name} ${bytes.toString('hex')} cut ${a} mask ${mask}`)
          for (let b = a; b <= bytes.length; b += 3) {
            t.is(feed(c, bytes, [a, b], mask), expected(bytes, [a, b]), `${name} ${bytes.toString('hex')} cuts ${a} ${b}`)
          }
        }
        const bytewise = [...Array(bytes.length).keys()].slice(1)
        t.is(feed(c, bytes, bytewise, mask), expected(bytes, bytewise), `${name} ${bytes.toString('hex')} byte by byte`)
      }
    }
  }
})

test('codec: long mixed text split at random points, the same on both backends, bytes moved out intact', (t) => {
  const text = 'echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 '.repeat(3000)
  const bytes = Buffer.from(text)
  let seed = 7
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  for (let round = 0; round < 20; round++) {
    const cuts = [...Array(rnd(6)).keys()].map(() => rnd(bytes.length + 1)).sort((x, y) => x - y)
    for (const [name, c] of BACKENDS) {
      const m = c.textCreate()
      let from = 0
      for (const to of [...cuts, bytes.length]) {
        const next = to === bytes.length ? TEXT_FINAL : bytes.length - to
        // The message's length so far (-1 would mean a byte judged invalid).
        t.is(c.textAppend(m, masked(bytes.subarray(from, to)).map((x, i) => x ^ KEY[i & 3]! ^ KEY[(from + i) & 3]!), rotated(from), next), to)
        from = to
      }
      t.is(c.textFinish(m, true), text, `${name} ${cuts.join(',')}`)
      t.true(c.textTakeBytes(m).equals(bytes), name)
    }
  }
})

test('codec: misuse is refused the same way on both backends', (t) => {
  for (const [name, c] of BACKENDS) {
    const m = c.textCreate()
    t.throws(() => c.textFinish(m, false), { code: 'ERR_INVALID_STATE' }, `${name}: finish before the final piece`)
    t.is(c.textAppend(m, Buffer.from('ab'), -1, TEXT_FRAME_END), 2)
    t.is(c.textAppend(m, Buffer.alloc(0), -1, TEXT_FRAME_END), 2, `${name}: a 0-length piece`)
    t.is(c.textAppend(m, Buffer.from('c'), -1, TEXT_FINAL), 3)
    t.is(c.textAppend(m, Buffer.from('d'), -1, TEXT_FINAL), -1, `${name}: nothing after the final piece`)
    t.throws(() => c.textFinish(m, false), { code: 'ERR_INVALID_STATE' }, `${name}: a failed message has no string`)
    c.textReset(m)
    t.is(c.textAppend(m, Buffer.from('ok'), -1, TEXT_FINAL), 2, `${name}: usable again after reset`)
    t.is(c.textFinish(m, false), 'ok')
    t.throws(() => c.textFinish(m, false), { code: 'ERR_INVALID_STATE' }, `${name}: emptied by finish`)
    for (const bad of [{}, null, Buffer.alloc(8), 1]) {
      t.throws(() => c.textAppend(bad as unknown as TextMessage, Buffer.from('a'), -1, -1), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
      t.throws(() => c.textReset(bad as unknown as TextMessage), { instanceOf: TypeError })
    }
    t.throws(() => c.textAppend(m, 'a' as unknown as Buffer, -1, -1), { instanceOf: TypeError })
    t.throws(() => c.textAppend(m, Buffer.from('a'), 2 ** 32, -1), { instanceOf: RangeError })
    t.throws(() => c.textAppend(m, Buffer.from('a'), -1, -2), { instanceOf: RangeError })
    t.throws(() => c.textAppend(m, Buffer.from('a'), -1, 0.5), { instanceOf: RangeError })
  }
  if (native !== null) {
    // A message of the other backend is not one of the addon's (its type tag is checked before its pointer).
    t.throws(() => native.textAppend(tsCodec.textCreate(), Buffer.from('a'), -1, -1), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
    t.throws(() => tsCodec.textAppend(native.textCreate(), Buffer.from('a'), -1, -1), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  }
})

test.serial('codec: a message of exactly V8\'s maximum string length is a string; one byte more is ERR_STRING_TOO_LONG', (t) => {
  const max = constants.MAX_STRING_LENGTH
  const piece = Buffer.alloc(64 << 20, 0x61)
  for (const [name, c] of BACKENDS) {
    for (const extra of [0, 1]) {
      const m = c.textCreate()
      let left = max + extra
      while (left > 0) {
        const n = Math.min(left, piece.length)
        left -= n
        t.is(c.textAppend(m, piece.subarray(0, n), -1, left === 0 ? TEXT_FINAL : left), max + extra - left)
      }
      if (extra === 0) t.is(c.textFinish(m, false).length, max, name)
      // Node's Error on the twin (Buffer#toString), a RangeError from the addon: the same code either way.
      else t.throws(() => c.textFinish(m, false), { code: 'ERR_STRING_TOO_LONG' }, name)
      t.throws(() => c.textFinish(m, false), { code: 'ERR_INVALID_STATE' }, `${name}: emptied after the failure too`)
    }
  }
})

/** Feeds wire bytes one at a time straight into the connection (no TCP: exact chunk boundaries). */
async function byteByByte(t: ExecutionContext, role: Role, hex: string): Promise<{ closedAt: number; got: string[]; code: number | null }> {
  const p = await connPair(t, role, {}, { listen: false })
  const got: string[] = []
  let code: number | null = null
  p.conn.on('message', (m: { utf8Data?: string }) => got.push(m.utf8Data ?? 'binary'))
  p.conn.on('close', (c: number) => (code = c))
  const wire = peerBytes(role, hex)
  for (let i = 0; i < wire.length; i++) {
    p.conn.handleSocketData(wire.subarray(i, i + 1))
    if (!p.conn.connected) return { closedAt: i, got, code }
  }
  return { closedAt: -1, got, code }
}

for (const role of ROLES) {
  test(`${role}: one frame fed byte by byte closes 1007 exactly at the first byte that cannot become valid`, async (t) => {
    for (const bytes of SAMPLES) {
      const hex = frameHex(0x81, bytes)
      const header = peerBytes(role, hex).length - bytes.length
      const bad = firstBadByte(bytes)
      const r = await byteByByte(t, role, hex)
      if (bad === -1) {
        t.deepEqual([r.closedAt, r.got], [-1, [bytes.toString()]], bytes.toString('hex'))
      } else {
        // A code point cut by the end of the message fails with its last byte.
        t.deepEqual([r.closedAt, r.code], [header + Math.min(bad, bytes.length - 1), 1007], bytes.toString('hex'))
        t.deepEqual(r.got, [])
      }
    }
  })

  test(`${role}: fragments with code points cut across them (and empty ones), fed byte by byte: same verdict, same byte`, async (t) => {
    for (const bytes of SAMPLES) {
      // Fragments of 1, 0, 2, 3, … bytes: every code point of the samples is cut somewhere.
      const sizes = [1, 0, 2, 3, 1, 4]
      const frames: string[] = []
      /** Per frame: its first payload byte's index in `bytes` and on the wire, its length, its last wire byte. */
      const spans: Array<{ from: number; wireFrom: number; n: number; lastWire: number }> = []
      let at = 0
      let wireLen = 0
      for (let k = 0; ; k++) {
        const n = Math.min(sizes[k % sizes.length]!, bytes.length - at)
        const fin = at + n === bytes.length && k > 0
        const f = frameHex((fin ? 0x80 : 0) | (k === 0 ? 1 : 0), bytes.subarray(at, at + n))
        const len = peerBytes(role, f).length
        spans.push({ from: at, wireFrom: wireLen + len - n, n, lastWire: wireLen + len - 1 })
        wireLen += len
        frames.push(f)
        at += n
        if (fin) break
      }
      const r = await byteByByte(t, role, frames.join(''))
      const bad = firstBadByte(bytes)
      if (bad === -1) {
        t.deepEqual([r.closedAt, r.got], [-1, [bytes.toString()]], bytes.toString('hex'))
        continue
      }
      t.deepEqual([r.code, r.got], [1007, []], bytes.toString('hex'))
      // Fed byte by byte, every fragment's payload arrives in pieces: the connection fails at the very byte (a code
      // point cut by the message's end: with the final fragment's last byte).
      const last = spans[spans.length - 1]!
      const holder = spans.find((sp) => sp.from + sp.n > bad)
      const want = bad === bytes.length || holder === undefined ? last.lastWire : holder.wireFrom + (bad - holder.from)
      t.is(r.closedAt, want, bytes.toString('hex'))
    }
  })

  test(`${role}: a fragmented text between pings, a 4-byte code point cut over three fragments; then one cut by a close`, async (t) => {
    const p = await connPair(t, role)
    const got: string[] = []
    p.conn.on('message', (m: { utf8Data?: string }) => got.push(m.utf8Data ?? 'binary'))
    const emoji = Buffer.from('😀')
    p.send(
      frameHex(0x01, Buffer.concat([Buffer.from('héllo '), emoji.subarray(0, 1)])) +
        frameHex(0x89, 'p1') +
        frameHex(0x00, emoji.subarray(1, 3)) +
        frameHex(0x00, '') +
        frameHex(0x89, 'p2') +
        frameHex(0x00, emoji.subarray(3)) +
        frameHex(0x80, ' Ω end'),
    )
    const frames = await p.waitFrames((fs) => fs.filter((f) => f.opcode === 0x0a).length === 2, 5000)
    t.deepEqual(frames.filter((f) => f.opcode === 0x0a).map((f) => f.payload.toString()), ['p1', 'p2'])
    await new Promise((r) => setTimeout(r, 20))
    t.deepEqual(got, ['héllo 😀 Ω end'])
    // A message cut by the peer's close: the close is answered, nothing is delivered, the text message is freed.
    p.send(frameHex(0x01, 'never ') + frameHex(0x88, Buffer.from('03e8', 'hex')))
    const replies = await p.waitFrames((fs) => fs.some((f) => f.opcode === 8), 5000)
    t.is(replies.find((f) => f.opcode === 8)!.payload.readUInt16BE(0), 1000)
    t.deepEqual(got, ['héllo 😀 Ω end'])
    t.is((p.conn as unknown as { _receiver: { tMsg: unknown } })._receiver.tMsg, null, 'freed when the close frame stopped the receiver')
  })

  test(`${role}: a 17 MiB text in one frame and in 1 MiB fragments arrives intact`, async (t) => {
    const limit = 32 << 20
    const p = await connPair(t, role, { maxReceivedFrameSize: limit, maxReceivedMessageSize: limit })
    const got: string[] = []
    p.conn.on('message', (m: { utf8Data?: string }) => got.push(m.utf8Data ?? 'binary'))
    const text = 'echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 '.repeat(Math.ceil((17 << 20) / 80))
    const bytes = Buffer.from(text)
    p.send(Buffer.from(frameHex(0x81, bytes), 'hex'))
    const parts: string[] = []
    for (let at = 0; at < bytes.length; at += 1 << 20) {
      const end = Math.min(at + (1 << 20), bytes.length)
      parts.push(frameHex((end === bytes.length ? 0x80 : 0) | (at === 0 ? 1 : 0), bytes.subarray(at, end)))
    }
    p.send(Buffer.from(parts.join(''), 'hex'))
    const deadline = Date.now() + 20_000
    while (got.length < 2 && Date.now() < deadline && p.conn.connected) await new Promise((r) => setTimeout(r, 10))
    t.is(got.length, 2)
    t.true(got[0] === text && got[1] === text)
  })
}

// (2^40 itself is refused by the unlimited configuration's 2^32 - 1 cap: security-frames.spec.ts; the core's unit test
// `capacity_grows_with_arriving_bytes_only` declares 2^40 to the text message directly.)
test.serial('a declared (2^32 - 1)-byte text frame with no limits costs the bytes that arrived, not its declared length', async (t) => {
  const p = await connPair(t, 'server', { maxReceivedFrameSize: Infinity, maxReceivedMessageSize: Infinity }, { listen: false })
  const header = Buffer.from('81ff00000000ffffffff', 'hex')
  const wire = peerBytes('server', Buffer.concat([header, Buffer.from('6162', 'hex')]))
  // The masked header (14 bytes) and 1 MiB of masked 'a's; the declared rest never comes.
  const rss0 = process.memoryUsage().rss
  p.conn.handleSocketData(wire.subarray(0, 14))
  const chunk = masked(Buffer.alloc(1 << 20, 0x61))
  p.conn.handleSocketData(chunk)
  const grown = process.memoryUsage().rss - rss0
  t.true(p.conn.connected)
  t.true(grown < 64 << 20, `${grown} bytes for 1 MiB that arrived`)
})

/** global.gc through V8's flag (ava runs no --expose-gc). */
function gc(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

/** Collects garbage until freed ArrayBuffers are really unmapped (V8 sweeps their backing stores concurrently). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 30))
  }
}

test.serial('receivers dropped mid-text let their text messages go (nothing left after a GC)', async (t) => {
  const sink: ReceiverSink = { _receiveFrame: () => {}, _receiveError: () => {}, _holdsText: () => true }
  const n = 64
  const size = 8 << 20
  // A masked text frame declaring 8 MiB, of which 4 MiB arrive.
  const head = Buffer.alloc(14)
  head[0] = 0x81
  head[1] = 0xff
  head.writeBigUInt64BE(BigInt(size), 2)
  Buffer.from(KEY).copy(head, 10)
  const body = masked(Buffer.alloc(size / 2, 0x61))
  await settle()
  const rss0 = process.memoryUsage().rss
  const receivers: Receiver[] = []
  for (let i = 0; i < n; i++) {
    const r = new Receiver(sink, true, Infinity, Infinity, 0, false, true)
    r.push(head)
    r.push(body)
    receivers.push(r)
  }
  const held = process.memoryUsage().rss - rss0
  // The test can fail: the bytes really were held (n × 4 MiB).
  t.true(held > (n * size) / 4, `${held} bytes held by ${n} receivers`)
  // The bytes live in Buffers only the text messages reference (natively through a napi reference): stop() lets
  // them go, and the next GC frees them.
  for (const r of receivers) r.stop()
  await settle()
  const left = process.memoryUsage().rss - rss0
  t.true(left < (n * size) / 16, `${left} bytes left after stop() and a GC`)
  t.true(receivers.every((r) => (r as unknown as { tMsg: unknown }).tMsg === null))
})

for (const role of ROLES) {
  test.serial(`${role}: 40 connections dropped by the peer mid-text leave nothing allocated`, async (t) => {
    const size = 8 << 20
    // One wire image for every connection: the header and the first half of an 8 MiB text (a copy per connection:
    // the server side unmasks in place).
    const half = peerBytes(role, frameHex(0x81, Buffer.alloc(size, 0x61))).subarray(0, size / 2)
    const pairs = []
    for (let i = 0; i < 40; i++) {
      pairs.push(await connPair(t, role, { maxReceivedFrameSize: size, maxReceivedMessageSize: size }, { listen: false }))
    }
    const copy = Buffer.alloc(half.length)
    await settle()
    const rss0 = process.memoryUsage().rss
    for (const p of pairs) {
      p.conn._addSocketEventListeners()
      half.copy(copy)
      p.conn.handleSocketData(copy)
    }
    const held = process.memoryUsage().rss - rss0
    t.true(held > 40 * (size / 4), `${held} bytes held`)
    for (const p of pairs) p.peer.destroy()
    await Promise.all(pairs.map((p) => p.closed(5000)))
    await settle()
    const left = process.memoryUsage().rss - rss0
    t.true(left < 40 * (size / 8), `${left} bytes left after the drops`)
    for (const p of pairs) t.is((p.conn as unknown as { _receiver: { tMsg: unknown } })._receiver.tMsg, null)
  })
}

test.serial('a text message in pieces above V8\'s maximum string length closes 1009; one of exactly that length is delivered', async (t) => {
  const max = constants.MAX_STRING_LENGTH
  const limit = max + 16
  for (const extra of [0, 1]) {
    const p = await connPair(t, 'client', { maxReceivedFrameSize: limit, maxReceivedMessageSize: limit }, { listen: false })
    let length = -1
    let code = -1
    p.conn.on('message', (m: { utf8Data?: string }) => (length = m.utf8Data?.length ?? -2))
    p.conn.on('close', (c: number) => (code = c))
    const n = max + extra
    const head = Buffer.alloc(10)
    head[0] = 0x81
    head[1] = 127
    head.writeBigUInt64BE(BigInt(n), 2)
    p.conn.handleSocketData(head)
    const piece = Buffer.alloc(64 << 20, 0x61)
    for (let left = n; left > 0 && p.conn.connected; left -= piece.length) p.conn.handleSocketData(piece.subarray(0, Math.min(left, piece.length)))
    if (extra === 0) t.deepEqual([length, code], [max, -1])
    else t.deepEqual([length, code], [-1, 1009])
  }
})

test('assembleFragments switched off after construction: fragments the parse left unchecked are validated as a stream', async (t) => {
  // A code point cut across the fragments must not be mistaken for invalid; an invalid byte still closes 1007.
  const emoji = Buffer.from('😀')
  for (const [tail, want] of [
    [emoji.subarray(2), null],
    [Buffer.from([0x41]), 1007],
  ] as const) {
    const p = await connPair(t, 'server')
    const frames: string[] = []
    p.conn.assembleFragments = false
    p.conn.on('frame', (f: { opcode: number; binaryPayload: Buffer }) => frames.push(`${f.opcode}:${f.binaryPayload.toString('hex')}`))
    p.send(frameHex(0x01, Buffer.concat([Buffer.from('a'), emoji.subarray(0, 2)])) + frameHex(0x80, tail) + frameHex(0x89, 'p'))
    if (want === null) {
      await p.waitFrames((fs) => fs.some((f) => f.opcode === 0x0a), 5000)
      t.deepEqual(frames, [`1:61${emoji.subarray(0, 2).toString('hex')}`, `0:${tail.toString('hex')}`, '9:70'])
      t.true(p.conn.connected)
    } else {
      t.is((await p.closed(5000)).code, want)
      t.deepEqual(frames, [`1:61${emoji.subarray(0, 2).toString('hex')}`])
    }
  }
})

/** Wire bytes of `hex` for `role`, cut so that the last frame's payload arrives in two reads (`cut` bytes first). */
function cutInLastPayload(role: Role, hexes: string[], cut: number): [Buffer, Buffer] {
  const wire = peerBytes(role, hexes.join(''))
  const lastPayload = Buffer.from(hexes[hexes.length - 1]!, 'hex').length - 2
  const at = wire.length - lastPayload + cut
  return [wire.subarray(0, at), wire.subarray(at)]
}

for (const role of ROLES) {
  test(`${role}: assembleFragments switched off while a text frame arrives: that frame is handed out whole, later ones check as its continuation`, async (t) => {
    const emoji = Buffer.from('😀')
    // A whole message in one frame, then a fragmented one whose middle frame (with a code point cut after it) is
    // the one in flight when the switch happens.
    const whole = Buffer.from('héllo wörld Ω')
    for (const [hexes, want] of [
      [[frameHex(0x81, whole)], [`1:1:${whole.toString('hex')}`]],
      [
        [frameHex(0x01, 'a'), frameHex(0x00, Buffer.concat([Buffer.from('bé'), emoji.subarray(0, 1)]))],
        [`0:0:${Buffer.concat([Buffer.from('bé'), emoji.subarray(0, 1)]).toString('hex')}`, `0:1:${Buffer.concat([emoji.subarray(1), Buffer.from('c')]).toString('hex')}`],
      ],
    ] as const) {
      const p = await connPair(t, role, {}, { listen: false })
      const frames: string[] = []
      const messages: string[] = []
      let code: number | null = null
      p.conn.on('frame', (f: { opcode: number; fin: boolean; binaryPayload: Buffer }) => frames.push(`${f.opcode}:${f.fin ? 1 : 0}:${f.binaryPayload.toString('hex')}`))
      p.conn.on('message', (m: { utf8Data?: string }) => messages.push(m.utf8Data ?? 'binary'))
      p.conn.on('close', (c: number) => (code = c))
      const [first, rest] = cutInLastPayload(role, [...hexes], 3)
      p.conn.handleSocketData(first)
      p.conn.assembleFragments = false
      p.conn.handleSocketData(rest)
      if (hexes.length > 1) p.conn.handleSocketData(peerBytes(role, frameHex(0x80, Buffer.concat([emoji.subarray(1), Buffer.from('c')]))))
      t.deepEqual({ frames, messages, code, connected: p.conn.connected }, { frames: [...want], messages: [], code: null, connected: true })
    }
  })

  test(`${role}: processFrame replaced while a text frame arrives: the hook sees that frame's payload, the message is whole`, async (t) => {
    const emoji = Buffer.from('😀')
    const head = Buffer.concat([Buffer.from('héllo '), emoji.subarray(0, 2)])
    const tail = Buffer.concat([emoji.subarray(2), Buffer.from(' wörld')])
    for (const hexes of [[frameHex(0x81, Buffer.concat([head, tail]))], [frameHex(0x01, head), frameHex(0x80, tail)]]) {
      const p = await connPair(t, role, {}, { listen: false })
      const seen: string[] = []
      const messages: string[] = []
      p.conn.on('message', (m: { utf8Data?: string }) => messages.push(m.utf8Data ?? 'binary'))
      const [first, rest] = cutInLastPayload(role, hexes, 4)
      p.conn.handleSocketData(first)
      const base = p.conn.processFrame.bind(p.conn)
      p.conn.processFrame = (frame) => {
        seen.push(`${frame.opcode}:${frame.binaryPayload.toString('hex')}`)
        base(frame)
      }
      p.conn.handleSocketData(rest)
      const last = hexes.length === 1 ? Buffer.concat([head, tail]) : tail
      t.deepEqual({ seen, messages }, { seen: [`${hexes.length === 1 ? 1 : 0}:${last.toString('hex')}`], messages: [`héllo 😀 wörld`] })
      t.true(p.conn.connected)
    }
  })
}
