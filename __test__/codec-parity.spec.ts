// Native vs TypeScript twin, both loaded in one process: identical results, errors, state and bytes. Every case
// is also checked against a naive reference (byte-loop masking, WHATWG fatal UTF-8 decoding, whole-buffer
// parsing), so the twin is held to the contract even where no addon can be loaded.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { loadNativeCodec, nativeLoadErrors, tsCodec } from '../ts/codec/index.js'
import { backendMode, platformArchABI } from '../ts/codec/loader.js'
import { D_TEXT_UNCHECKED, ErrorCode, PARSE_DEFER_TEXT, type Codec } from '../ts/codec/types.js'
import { chop, feed, randomStream } from './helpers/codec-feed.js'
import { CLIENT, SERVER, Prng, frame, naiveIsUtf8, naiveMask, randomUtf8, toHex } from './helpers/codec-util.js'

const native = loadNativeCodec()
const addonPath = fileURLToPath(new URL(`../ferrosocket.${platformArchABI()}.node`, import.meta.url))
const codecs: Array<[string, Codec]> = [['ts', tsCodec]]
if (native !== null) codecs.push(['native', native])

test('the native addon is compared whenever it loads (required under FERROSOCKET_BACKEND=native)', (t) => {
  if (backendMode() === 'native') {
    t.not(native, null, `addon did not load: ${JSON.stringify(nativeLoadErrors())}`)
  }
  // A local build next to the package must load (else the comparisons below would silently run on the twin only).
  if (existsSync(addonPath)) t.not(native, null, `${addonPath} exists but did not load: ${JSON.stringify(nativeLoadErrors())}`)
  else t.is(native, null)
  if (native !== null) {
    t.is(native.backend, 'native')
    t.not(native, tsCodec)
  }
})

test('mask/unmask: every length 0..257 × alignment 0..3 × random masks equal the byte loop on every backend', (t) => {
  const rng = new Prng(0xa11ce)
  for (let len = 0; len <= 257; len++) {
    for (let align = 0; align < 4; align++) {
      const key = rng.bytes(4)
      const src = rng.bytes(len + 8).subarray(align, align + len)
      const want = toHex(naiveMask(src, key))
      for (const [name, c] of codecs) {
        for (const offset of [0, 1, 2, 3]) {
          const out = Buffer.alloc(len + 8, 0xee)
          c.mask(src, key, out.subarray(align), offset, len)
          t.is(toHex(out.subarray(align + offset, align + offset + len)), want, `${name} mask ${len}/${align}/${offset}`)
          t.is(out[align + offset + len], 0xee)
        }
        const copy = Buffer.alloc(len + 8)
        const view = copy.subarray(align, align + len)
        view.set(src)
        c.unmask(view, key)
        t.is(toHex(view), want, `${name} unmask ${len}/${align}`)
      }
    }
  }
  // Large buffers too (the native SIMD paths).
  for (const len of [4096, 65536 + 3, 1 << 20]) {
    const key = rng.bytes(4)
    const src = rng.bytes(len)
    const want = naiveMask(src, key)
    for (const [name, c] of codecs) {
      const b = Buffer.from(src)
      c.unmask(b, key)
      t.true(b.equals(want), `${name} unmask ${len}`)
      const out = Buffer.alloc(len + 5)
      c.mask(src, key, out, 5, len)
      t.true(out.subarray(5).equals(want), `${name} mask ${len}`)
    }
  }
})

test('mask: overlapping source and output give the memmove result on every backend (regression: no overlap refusal)', (t) => {
  // The seam no longer refuses overlapping views (that check cost two `.buffer` reads per call); the contract is
  // memmove semantics instead, so every shift in either direction must still equal masking a copy of the source.
  const rng = new Prng(0x0e1a)
  for (const len of [0, 1, 3, 4, 7, 16, 31, 32, 95, 96, 127, 128, 129, 300, 4099]) {
    for (const shift of [-9, -4, -1, 0, 1, 2, 5, 8, 33]) {
      const key = rng.bytes(4)
      const srcAt = 10
      const mem = rng.bytes(len + srcAt + 40)
      const outAt = srcAt + shift
      const src = mem.subarray(srcAt, srcAt + len)
      const want = toHex(naiveMask(Buffer.from(src), key))
      for (const [name, c] of codecs) {
        const m = Buffer.from(mem)
        // output starts at 0, the offset places the write `shift` bytes from the source.
        c.mask(m.subarray(srcAt, srcAt + len), key, m, outAt, len)
        t.is(toHex(m.subarray(outAt, outAt + len)), want, `${name} mask len ${len} shift ${shift}`)
        const untouched = (i: number) => i < Math.min(srcAt, outAt) || i >= Math.max(srcAt, outAt) + len
        for (let i = 0; i < m.length; i++) if (untouched(i) && m[i] !== mem[i]) t.fail(`${name} wrote byte ${i}`)
      }
    }
  }
})

test('parseFrames with and without PARSE_DEFER_TEXT: big and small text frames, valid and invalid, parse alike on every backend', (t) => {
  // Without the flag an invalid text frame stops the parse at that frame; with it a whole text message in one frame
  // is delivered unvalidated (D_TEXT_UNCHECKED) and parsing goes on — same count, state, descriptors and bytes on
  // every backend either way, and fragmented text is still validated (fail-fast).
  const rng = new Prng(0x7e47)
  const key = () => rng.bytes(4)
  const big = (n: number) => Buffer.from('é€😀a'.repeat(Math.ceil(n / 10))).subarray(0, n - (n % 10))
  // Each case with what a correct parse returns: complete frames before the stop, and the error (None = 0).
  const cases: Array<[string, (isServer: boolean) => Buffer, number, number]> = [
    ['valid 20 KiB text between frames', (m) => Buffer.concat([frame(0x82, rng.bytes(7), m ? key() : undefined), frame(0x81, big(20480), m ? key() : undefined), frame(0x89, rng.bytes(3), m ? key() : undefined)]), 3, ErrorCode.None],
    ['invalid byte at the end of 40 KiB', (m) => { const p = big(40960); p[p.length - 1] = 0xff; return Buffer.concat([frame(0x82, rng.bytes(9), m ? key() : undefined), frame(0x81, p, m ? key() : undefined), frame(0x82, rng.bytes(100), m ? key() : undefined), frame(0x88, Buffer.from([3, 232]), m ? key() : undefined)]) }, 1, ErrorCode.InvalidUtf8],
    ['truncated code point at the end of 16 KiB', (m) => Buffer.concat([frame(0x81, Buffer.concat([Buffer.alloc(16384 - 1, 0x61), Buffer.from([0xe2])]), m ? key() : undefined), frame(0x81, Buffer.from('ok'), m ? key() : undefined)]), 0, ErrorCode.InvalidUtf8],
    ['two big frames, the second invalid, then a pending one', (m) => { const bad = big(30000); bad[5] = 0xc0; return Buffer.concat([frame(0x81, big(17000), m ? key() : undefined), frame(0x81, bad, m ? key() : undefined), frame(0x82, rng.bytes(500), m ? key() : undefined).subarray(0, 300)]) }, 1, ErrorCode.InvalidUtf8],
    ['fragmented big text (not deferred)', (m) => { const p = big(40000); p[39000] = 0xff; return Buffer.concat([frame(0x01, p.subarray(0, 20000), m ? key() : undefined), frame(0x80, p.subarray(20000), m ? key() : undefined)]) }, 1, ErrorCode.InvalidUtf8],
  ]
  for (const [label, make, wantCount, wantError] of cases) {
    const sides = [['server', SERVER], ['client', CLIENT], ['server+defer', { ...SERVER, flags: SERVER.flags | PARSE_DEFER_TEXT }], ['client+defer', { ...CLIENT, flags: CLIENT.flags | PARSE_DEFER_TEXT }]] as const
    for (const [side, opts] of sides) {
      const input = make(side.startsWith('server'))
      const results = codecs.map(([, c]) => {
        const buf = Buffer.from(input)
        const state = new Float64Array(8)
        const out = new Float64Array(4 * 8).fill(-7)
        const count = c.parseFrames(buf, 0, buf.length, opts, state, out)
        // Slots past the complete frames are meaningful only for a pending frame (S_PENDING, state[2]).
        return { count, state: [...state], out: [...out.subarray(0, 4 * (count + state[2]!))], bytes: toHex(buf) }
      })
      if (results.length === 2) t.deepEqual(results[1], results[0], `${label} (${side})`)
      const deferred = results[0]!.out.filter((v, i) => i % 4 === 0 && (v & D_TEXT_UNCHECKED) !== 0).length
      if (!side.endsWith('defer')) {
        t.is(deferred, 0, `${label} (${side}): nothing left unvalidated without the flag`)
        for (const [i, r] of results.entries()) {
          t.deepEqual([r.count, r.state[3]], [wantCount, wantError], `${label} (${side}) on ${codecs[i]![0]}`)
        }
      }
    }
  }
  const invalid = codecs.map(([, c]) => {
    const p = big(40960)
    p[100] = 0xff
    const buf = frame(0x81, p, key())
    const state = new Float64Array(8)
    return [c.parseFrames(buf, 0, buf.length, SERVER, state, new Float64Array(8)), state[3]]
  })
  for (const r of invalid) t.deepEqual(r, [0, ErrorCode.InvalidUtf8], 'an invalid big text frame is refused on every backend')
  // With the flag: the same frame comes back marked, and so do the frames of a fragmented one (the caller appends
  // them to a text message, which validates them); S_UTF8 stays 0.
  for (const [name, c] of codecs) {
    const p = big(40960)
    p[100] = 0xff
    const buf = Buffer.concat([frame(0x81, p, key()), frame(0x01, Buffer.from([0x61, 0xce]), key()), frame(0x80, Buffer.from('b'), key())])
    const state = new Float64Array(8)
    const out = new Float64Array(16)
    const count = c.parseFrames(buf, 0, buf.length, { ...SERVER, flags: SERVER.flags | PARSE_DEFER_TEXT }, state, out)
    t.deepEqual(
      [count, state[3], state[6], out[0], out[4], out[8]],
      [3, 0, 0, 0x181 | D_TEXT_UNCHECKED, 0x101 | D_TEXT_UNCHECKED, 0x180 | D_TEXT_UNCHECKED],
      name,
    )
  }
})

test('UTF-8: random valid/invalid buffers, same verdict as the reference, same stream state at every split', (t) => {
  const rng = new Prng(0x5eed)
  for (let iter = 0; iter < 400; iter++) {
    let b = randomUtf8(rng, rng.int(iter < 300 ? 12 : 60))
    if (rng.int(2) === 0 && b.length > 0) {
      b = Buffer.from(b)
      const at = rng.int(b.length)
      b[at] = rng.pick([0x80, 0xbf, 0xc0, 0xc1, 0xe0, 0xed, 0xf4, 0xf5, 0xff, rng.u32() & 0xff])
    }
    const want = naiveIsUtf8(b)
    for (const [name, c] of codecs) t.is(c.isValidUtf8(b), want, `${name} ${toHex(b)}`)
    for (let i = 0; i <= b.length; i++) {
      const states = codecs.map(([, c]) => {
        const s1 = c.utf8Stream(0, b.subarray(0, i), false)
        const s2 = s1 === -1 ? -1 : c.utf8Stream(s1, b.subarray(i), false)
        const s3 = s2 === -1 ? -1 : c.utf8Stream(s2, b.subarray(b.length), true)
        return [s1, s2, s3]
      })
      t.is(states[0]![2], want ? 0 : -1, `ts ${toHex(b)} @${i}`)
      if (states.length === 2) t.deepEqual(states[1], states[0], `native vs ts ${toHex(b)} @${i}`)
    }
  }
  // Every carried state value, including non-viable ones, with every next byte.
  for (const state of [0x01c20000, 0x01e00000, 0x01ed0000, 0x01f00000, 0x01f40000, 0x02e0a000, 0x02f09000, 0x03f09f98, 0x02e08000, 0x02eda000, 0x02f49000, 0x01f50000, 0x01c00000, 0x01800000, 0x04000000, 0x00000001]) {
    for (let byte = 0; byte < 256; byte++) {
      const results = codecs.map(([, c]) => [c.utf8Stream(state, Buffer.from([byte]), false), c.utf8Stream(state, Buffer.from([byte]), true)])
      if (results.length === 2) t.deepEqual(results[1], results[0], `state ${state.toString(16)} + ${byte.toString(16)}`)
    }
  }
})

test('parseFrames: random valid and corrupted frame streams chopped at random points — same calls, state and bytes', (t) => {
  const rng = new Prng(0xf4a3e5)
  for (let iter = 0; iter < 300; iter++) {
    const server = rng.int(2) === 0
    const corrupt = rng.int(3) === 0
    const stream = randomStream(rng, server, corrupt)
    const base = server ? SERVER : CLIENT
    const opts = rng.int(5) === 0 ? { ...base, maxFrameSize: 200, maxMessageSize: 400, maxFragments: 3 } : base
    const chunks = chop(rng, stream, 1 + rng.int(8))
    const whole = feed(tsCodec, [stream], opts, 64)
    const results = codecs.map(([, c]) => feed(c, chunks, opts))
    const ts = results[0]!
    // Chunking never changes what is delivered or the verdict.
    t.deepEqual(ts.events, whole.events, `iteration ${iter}: chopped vs whole`)
    t.is(ts.error, whole.error, `iteration ${iter}: error`)
    if (!corrupt && opts === base) t.is(ts.error, 0, `iteration ${iter}: a valid stream parses cleanly`)
    if (results.length === 2) {
      t.deepEqual(results[1]!.calls, ts.calls, `iteration ${iter}: native vs ts calls`)
      t.deepEqual(results[1]!.events, ts.events)
      t.is(results[1]!.error, ts.error)
    }
  }
})

test('encodeMessage/encodedLength/encodeHeader: same bytes on every backend', (t) => {
  const rng = new Prng(77)
  for (let iter = 0; iter < 200; iter++) {
    const len = rng.int(3) === 0 ? rng.int(70000) : rng.int(300)
    const threshold = rng.pick([0, 1, 7, 125, 126, 16384, rng.int(400)])
    const payload = rng.bytes(len)
    const masked = rng.int(2) === 0
    const opcode = rng.pick([1, 2, 8, 9])
    const rsv1 = rng.int(4) === 0
    const frames = threshold > 0 && len > threshold ? Math.ceil(len / threshold) : 1
    const keys = masked ? rng.bytes(4 * frames) : null
    const outs = codecs.map(([, c]) => {
      const n = c.encodedLength(len, threshold, masked)
      const out = Buffer.alloc(n + 3)
      const written = c.encodeMessage(payload, opcode, rsv1, threshold, keys, out, 3)
      return [n, written, toHex(out)]
    })
    t.is(outs[0]![0], outs[0]![1])
    if (outs.length === 2) t.deepEqual(outs[1], outs[0], `iteration ${iter}`)
  }
  for (const len of [0, 1, 125, 126, 127, 65535, 65536, 2 ** 32, 2 ** 53 - 1]) {
    for (const key of [-1, 0, 0x37fa213d, 0xffffffff]) {
      const outs = codecs.map(([, c]) => {
        const out = Buffer.alloc(16)
        return [c.encodeHeader(out, 1, 0x82, len, key), toHex(out)]
      })
      if (outs.length === 2) t.deepEqual(outs[1], outs[0], `header ${len} ${key}`)
    }
  }
})

test('close codes and payloads: same verdicts on every backend', (t) => {
  const rng = new Prng(3)
  const validCode = (c: number) => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)
  for (let code = -2; code < 5100; code++) {
    for (const [name, c] of codecs) t.is(c.isValidCloseCode(code), validCode(code), `${name} ${code}`)
  }
  for (let iter = 0; iter < 300; iter++) {
    const payload = rng.int(3) === 0 ? rng.bytes(rng.int(20)) : Buffer.concat([Buffer.from([rng.int(20), rng.int(256)]), randomUtf8(rng, rng.int(20))])
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
    const want =
      payload.length === 1 ? ErrorCode.InvalidClosePayload
      : payload.length >= 2 && !validCode(code) ? ErrorCode.InvalidCloseCode
      : !naiveIsUtf8(payload.subarray(2)) ? ErrorCode.InvalidUtf8
      : { code, reason: payload.subarray(2).toString('utf8') }
    for (const [name, c] of codecs) t.deepEqual(c.decodeClosePayload(payload), want, `${name} ${toHex(payload)}`)
  }
  for (const [code, reason] of [[1000, ''], [4999, 'é'.repeat(61) + 'a'], [3000, 'bye']] as const) {
    const r = codecs.map(([, c]) => toHex(c.encodeClosePayload(code, reason)))
    if (r.length === 2) t.is(r[1], r[0])
  }
})

test('decodeUtf8 and decodeText: Buffer#toString (decodeText: null when invalid) on every backend — ASCII, Latin-1-only, mixed scripts, invalid, every size up to 300 B and large', (t) => {
  const rng = new Prng(0xdec0de)
  const alphabets = ['abc {"x":1}', 'héllo wörld ÿ ß', 'echo héllo Ωμέγα привет 漢字テキスト 😀🚀 ', '\u0080\u00ff\u0100\uffff\u{10000}\u{10ffff}']
  const samples: Buffer[] = []
  for (const alphabet of alphabets) {
    const chars = [...alphabet]
    for (let len = 0; len <= 300; len += 7) {
      let s = ''
      while (Buffer.byteLength(s) < len) s += chars[rng.int(chars.length)]
      samples.push(Buffer.from(s))
    }
    samples.push(Buffer.from(chars.join('').repeat(70_000 / alphabet.length)))
  }
  // Invalid UTF-8 (Node substitutes U+FFFD; the addon hands those back to Node's decoder): lone bytes, truncations,
  // surrogates, overlongs, inside ASCII and non-ASCII text, and random bytes.
  for (const bad of ['ff', 'c3', 'eda080', 'e08080', 'f4908080', 'c0af', 'f0', '80']) {
    samples.push(Buffer.concat([Buffer.from('ok é '), Buffer.from(bad, 'hex'), Buffer.from(' 漢')]))
    samples.push(Buffer.concat([Buffer.from('a'.repeat(100)), Buffer.from(bad, 'hex')]))
  }
  for (let i = 0; i < 200; i++) samples.push(Buffer.from(rng.bytes(rng.int(200))))
  // A view into a larger buffer, not at its start.
  samples.push(Buffer.from('xxΩμέγαyy').subarray(2, 10))
  samples.push(new Uint8Array(Buffer.from('plain Uint8Array — ☃')) as Buffer)
  const mismatches: string[] = []
  let compared = 0
  for (const sample of samples) {
    const want = Buffer.from(sample.buffer, sample.byteOffset, sample.length).toString('utf8')
    for (const [name, c] of codecs) {
      const got = c.decodeUtf8(sample)
      compared++
      if (got !== want) mismatches.push(`${name} ${sample.length} B ${toHex(sample.subarray(0, 40))}: ${JSON.stringify(got.slice(0, 40))}`)
      // decodeText: the same string for valid UTF-8, null exactly when it is not (one pass natively).
      const text = c.decodeText(sample)
      const valid = naiveIsUtf8(sample)
      compared++
      if (text !== (valid ? want : null)) mismatches.push(`decodeText ${name} ${sample.length} B ${toHex(sample.subarray(0, 40))}: ${String(text).slice(0, 40)}`)
    }
  }
  t.deepEqual(mismatches, [])
  t.is(compared, 2 * samples.length * codecs.length, 'decodeUtf8 and decodeText compared for every sample on every backend')
})
