// Known-answer tests of the codec contract (ts/codec/types.ts) through `codec`, so they run on whichever backend
// FERROSOCKET_BACKEND selects. Frames are hex literals.
import test from 'ava'
import { backend, closeCodeOf, codec, errorName, loadNativeCodec } from '../ts/codec/index.js'
import { backendMode } from '../ts/codec/loader.js'
import { ERROR_TABLE, ErrorCode, PARSE_ALLOW_RSV1, STATE_SLOTS, S_MESSAGE_OPCODE, S_UTF8 } from '../ts/codec/types.js'
import { CLIENT, SERVER, frame, hex, naiveMask, parse, Prng, toHex } from './helpers/codec-util.js'

const KEY = hex('37fa213d')

test('backend matches FERROSOCKET_BACKEND', (t) => {
  const want = backendMode()
  if (want === 'ts' || want === 'native') t.is(backend, want)
  else t.is(backend, loadNativeCodec() === null ? 'ts' : 'native')
  t.is(codec.backend, backend)
})

// ---- masking (§5.3) ----

test('mask: RFC 6455 §5.7 example "Hello" with key 37fa213d', (t) => {
  const out = Buffer.alloc(7)
  codec.mask(Buffer.from('Hello'), KEY, out, 2, 5)
  t.is(toHex(out), '00007f9f4d5158')
  const buf = hex('7f9f4d5158')
  codec.unmask(buf, KEY)
  t.is(buf.toString(), 'Hello')
})

test('mask/unmask equal the byte loop at every length 0..300, every alignment and offset', (t) => {
  const rng = new Prng(1)
  for (let len = 0; len <= 300; len++) {
    for (let align = 0; align < 4; align++) {
      const key = rng.bytes(4)
      const src = rng.bytes(len + 4).subarray(align, align + len)
      const want = naiveMask(src, key)
      const offset = (len + align) & 7
      const out = Buffer.alloc(len + offset + 3, 0xee)
      codec.mask(src, key, out, offset, len)
      t.is(toHex(out.subarray(offset, offset + len)), toHex(want))
      t.is(out[offset + len], 0xee, 'no write past length')
      if (offset > 0) t.is(out[offset - 1], 0xee, 'no write before offset')
      const inPlace = Buffer.from(src)
      codec.unmask(inPlace, key)
      t.deepEqual(inPlace, want)
      const same = Buffer.from(src)
      codec.mask(same, key, same, 0, len)
      t.deepEqual(same, want, 'source === output with offset 0')
    }
  }
})

test('mask with length shorter than source leaves the rest of output alone', (t) => {
  const out = Buffer.alloc(4, 0xaa)
  codec.mask(hex('0102030405'), hex('ffffffff'), out, 1, 2)
  t.is(toHex(out), 'aafefdaa')
})

// ---- UTF-8 (§8.1) ----

const VALID_UTF8 = ['', '48656c6c6f', 'c2a9', 'e282ac', 'f09f9880', 'f48fbfbf', 'ed9fbf', 'ee8080', 'efbfbf', 'cebae1bdb9cf83cebcceb5', 'f0908080', 'e0a080', 'c280', '7f']
const INVALID_UTF8 = [
  'c0af', 'c080', 'c1bf', 'e080af', 'e09fbf', 'f08080af', 'f08fbfbf', // overlongs
  'eda080', 'edbfbf', 'edaf80', // surrogates
  'f4908080', 'f5808080', 'f7bfbfbf', // > U+10FFFF
  'ff', 'fe', '80', 'bf', 'c2', 'e282', 'f09f98', // stray / truncated
  'c241', 'e2822c', 'f09f9841', 'e0', 'f4', // bad continuations and lone leads
]
const LONG = '61'.repeat(40) // pushes the sample past the isUtf8 threshold

test('isValidUtf8: valid and invalid samples, short and long', (t) => {
  for (const h of VALID_UTF8) {
    t.true(codec.isValidUtf8(hex(h)), h)
    t.true(codec.isValidUtf8(hex(LONG + h + LONG)), `long ${h}`)
  }
  for (const h of INVALID_UTF8) {
    t.false(codec.isValidUtf8(hex(h)), h)
    t.false(codec.isValidUtf8(hex(LONG + h + LONG)), `long ${h}`)
    t.false(codec.isValidUtf8(hex(LONG + h)), `long tail ${h}`)
  }
})

test('utf8Stream: every split point of every sample gives the whole-buffer verdict', (t) => {
  const samples = [...VALID_UTF8, ...INVALID_UTF8].flatMap((h) => [h, LONG + h, h + LONG, LONG + h + 'c2a9' + LONG])
  for (const h of samples) {
    const b = hex(h)
    const valid = codec.isValidUtf8(b)
    for (let i = 0; i <= b.length; i++) {
      for (const j of [i, Math.min(b.length, i + 1), Math.min(b.length, i + 2), b.length]) {
        let s = codec.utf8Stream(0, b.subarray(0, i), false)
        if (s !== -1) s = codec.utf8Stream(s, b.subarray(i, j), false)
        if (s !== -1) s = codec.utf8Stream(s, b.subarray(j), true)
        t.is(s, valid ? 0 : -1, `${h} split at ${i}/${j}`)
      }
    }
  }
})

test('utf8Stream: carry state encoding (carryLength << 24 | b0 << 16 | b1 << 8 | b2)', (t) => {
  t.is(codec.utf8Stream(0, hex('41e2'), false), (1 << 24) | (0xe2 << 16))
  t.is(codec.utf8Stream(0, hex('e282'), false), (2 << 24) | (0xe2 << 16) | (0x82 << 8))
  t.is(codec.utf8Stream(0, hex('f09f98'), false), (3 << 24) | (0xf0 << 16) | (0x9f << 8) | 0x98)
  t.is(codec.utf8Stream(0, hex(LONG + 'f09f98'), false), (3 << 24) | (0xf0 << 16) | (0x9f << 8) | 0x98)
  t.is(codec.utf8Stream((1 << 24) | (0xf0 << 16), hex('9f'), false), (2 << 24) | (0xf0 << 16) | (0x9f << 8))
  t.is(codec.utf8Stream((3 << 24) | (0xf0 << 16) | (0x9f << 8) | 0x98, hex('80'), false), 0)
  t.is(codec.utf8Stream((1 << 24) | (0xe2 << 16), hex(''), false), (1 << 24) | (0xe2 << 16), 'empty buffer keeps the carry')
  t.is(codec.utf8Stream((1 << 24) | (0xe2 << 16), hex(''), true), -1, 'final with a carry is invalid')
  t.is(codec.utf8Stream(0, hex('e2'), true), -1)
  t.is(codec.utf8Stream(0, hex(''), true), 0)
})

test('utf8Stream fails fast at the first byte that can never become valid', (t) => {
  // Not final, no more bytes: a prefix that cannot be completed is already -1.
  for (const h of ['e080', 'eda0', 'f490', 'f5', 'ff', 'c0', 'c1', 'f080', 'e09f', LONG + 'eda0', LONG + 'c0']) {
    t.is(codec.utf8Stream(0, hex(h), false), -1, h)
  }
  // The same prefixes arriving as a carried state.
  const bad = [(2 << 24) | (0xe0 << 16) | (0x80 << 8), (2 << 24) | (0xed << 16) | (0xa0 << 8), (2 << 24) | (0xf4 << 16) | (0x90 << 8), (1 << 24) | (0xf5 << 16), (1 << 24) | (0xc0 << 16), (1 << 24) | (0xc1 << 16), (1 << 24) | (0x41 << 16), (2 << 24) | (0xc2 << 16) | (0x80 << 8)]
  for (const s of bad) {
    t.is(codec.utf8Stream(s, hex(''), false), -1, s.toString(16))
    t.is(codec.utf8Stream(s, hex('80'), false), -1, s.toString(16))
  }
  // A viable carry whose next byte breaks it.
  t.is(codec.utf8Stream((1 << 24) | (0xe0 << 16), hex('80'), false), -1)
  t.is(codec.utf8Stream((1 << 24) | (0xed << 16), hex('a0'), false), -1)
  t.is(codec.utf8Stream((1 << 24) | (0xf4 << 16), hex('90'), false), -1)
})

// ---- headers (§5.2) ----

test('encodeHeader: minimal length forms at the edges', (t) => {
  const cases: Array<[number, number, string]> = [
    [0, -1, '8100'],
    [125, -1, '817d'],
    [126, -1, '817e007e'],
    [65535, -1, '817effff'],
    [65536, -1, '817f0000000000010000'],
    [2 ** 32, -1, '817f0000000100000000'],
    [2 ** 53 - 1, -1, '817f001fffffffffffff'],
    [5, 0x37fa213d, '818537fa213d'],
    [65536, 0xffffffff, '81ff0000000000010000ffffffff'],
  ]
  for (const [len, key, want] of cases) {
    const out = Buffer.alloc(16, 0xee)
    const n = codec.encodeHeader(out, 1, 0x81, len, key)
    t.is(toHex(out.subarray(1, 1 + n)), want, `length ${len}`)
    t.is(out[0], 0xee)
    t.is(out[1 + n], 0xee)
  }
  t.throws(() => codec.encodeHeader(Buffer.alloc(16), 0, 0x81, 2 ** 53, -1), { instanceOf: RangeError })
  t.throws(() => codec.encodeHeader(Buffer.alloc(3), 0, 0x81, 126, -1), { instanceOf: RangeError })
  t.throws(() => codec.encodeHeader(Buffer.alloc(14), 1, 0x81, 65536, 1), { instanceOf: RangeError })
})

test('parseFrames: 64-bit lengths (2^53-1 pending, 2^53 and 2^53+1 unsupported, top bit invalid)', (t) => {
  const r = parse(codec, hex('827f001fffffffffffff' + 'aabb'), CLIENT, undefined, 0, undefined, 4)
  t.is(r.error, ErrorCode.FrameTooBig, 'limits apply from the header')
  const big = { ...CLIENT, maxFrameSize: Infinity, maxMessageSize: Infinity }
  const p = parse(codec, hex('827f001fffffffffffff' + 'aabb'), big)
  t.like(p, { count: 0, pending: 1, consumed: 10, need: 2 ** 53 - 1 - 2, error: 0 })
  t.deepEqual(p.pendingFrame, { bits: 0x82, offset: 10, length: 2 ** 53 - 1, key: 0 })
  t.is(parse(codec, hex('827f0020000000000000'), big).error, ErrorCode.UnsupportedLength)
  t.is(parse(codec, hex('827f0020000000000001'), big).error, ErrorCode.UnsupportedLength)
  t.is(parse(codec, hex('827f8000000000000000'), big).error, ErrorCode.InvalidLength)
  t.is(parse(codec, hex('827fffffffffffffffff'), big).error, ErrorCode.InvalidLength)
  // The 64-bit checks wait for all 8 length bytes.
  t.like(parse(codec, hex('827f80000000000000'), big), { error: 0, need: 10, count: 0 })
  t.like(parse(codec, hex('827e00'), big), { error: 0, need: 4 })
  t.deepEqual(parse(codec, hex('827e007e' + '00'.repeat(126)), big).frames, [{ bits: 0x82, offset: 4, length: 126, key: 0 }])
})

// ---- parse errors, in the contract's order ----

const ERROR_CASES: Array<[string, string, typeof SERVER, number]> = [
  ['RSV2', 'a180' + '00000000', SERVER, ErrorCode.ReservedBitsSet],
  ['RSV3', '9180' + '00000000', SERVER, ErrorCode.ReservedBitsSet],
  ['RSV1 without extension', 'c180' + '00000000', SERVER, ErrorCode.ReservedBitsSet],
  ['RSV1 on a ping even with extension', 'c980' + '00000000', { ...SERVER, flags: 1 | PARSE_ALLOW_RSV1 }, ErrorCode.ReservedBitsSet],
  ['reserved bits before reserved opcode', 'b380' + '00000000', SERVER, ErrorCode.ReservedBitsSet],
  ['opcode 3', '8380' + '00000000', SERVER, ErrorCode.ReservedOpcode],
  ['opcode 7', '8780' + '00000000', SERVER, ErrorCode.ReservedOpcode],
  ['opcode B', '8b80' + '00000000', SERVER, ErrorCode.ReservedOpcode],
  ['opcode F', '8f80' + '00000000', SERVER, ErrorCode.ReservedOpcode],
  ['reserved opcode before FIN rule', '0b80', SERVER, ErrorCode.ReservedOpcode],
  ['ping without FIN', '0980' + '00000000', SERVER, ErrorCode.FragmentedControlFrame],
  ['FIN rule before size', '09fe', SERVER, ErrorCode.FragmentedControlFrame],
  ['ping of 126 bytes', '89fe', SERVER, ErrorCode.ControlFrameTooBig],
  ['close 127 (size before mask bit)', '887f', SERVER, ErrorCode.ControlFrameTooBig],
  ['unmasked client frame', '8100', SERVER, ErrorCode.UnmaskedClientFrame],
  ['masked server frame', '818000000000', CLIENT, ErrorCode.MaskedServerFrame],
  ['continuation without message', '8080' + '00000000', SERVER, ErrorCode.UnexpectedContinuation],
  ['mask bit before sequencing', '8000', SERVER, ErrorCode.UnmaskedClientFrame],
  ['64-bit top bit', '82ff8000000000000000', SERVER, ErrorCode.InvalidLength],
  ['64-bit >= 2^53', '82ff0020000000000000', { ...SERVER, maxFrameSize: Infinity }, ErrorCode.UnsupportedLength],
  ['frame too big (7-bit, before the mask key)', '82fd', { ...SERVER, maxFrameSize: 124 }, ErrorCode.FrameTooBig],
  ['frame too big (16-bit)', '82fe0100', { ...SERVER, maxFrameSize: 255 }, ErrorCode.FrameTooBig],
  ['message too big', '82fe0100', { ...SERVER, maxMessageSize: 255 }, ErrorCode.MessageTooBig],
  ['frame size before message size', '82fe0100', { ...SERVER, maxFrameSize: 255, maxMessageSize: 10 }, ErrorCode.FrameTooBig],
  ['close of 1 byte', '8881' + '00000000' + '03', SERVER, ErrorCode.InvalidClosePayload],
  ['close code 1005', '8882' + '00000000' + '03ed', SERVER, ErrorCode.InvalidCloseCode],
  ['close code 999', '8882' + '00000000' + '03e7', SERVER, ErrorCode.InvalidCloseCode],
  ['close reason not UTF-8', '8884' + '00000000' + '03e8c0af', SERVER, ErrorCode.InvalidUtf8],
  ['text not UTF-8', '8182' + '00000000' + 'c0af', SERVER, ErrorCode.InvalidUtf8],
  ['final text with a cut code point', '8181' + '00000000' + 'e2', SERVER, ErrorCode.InvalidUtf8],
]

test('parseFrames: every error with its code, string code and close code', (t) => {
  const want: Record<number, [string, number]> = {
    1: ['FERROSOCKET_ERR_RESERVED_BITS', 1002], 2: ['FERROSOCKET_ERR_RESERVED_OPCODE', 1002],
    3: ['FERROSOCKET_ERR_CONTROL_FRAME_TOO_BIG', 1002], 4: ['FERROSOCKET_ERR_FRAGMENTED_CONTROL_FRAME', 1002],
    5: ['FERROSOCKET_ERR_UNMASKED_CLIENT_FRAME', 1002], 6: ['FERROSOCKET_ERR_MASKED_SERVER_FRAME', 1002],
    7: ['FERROSOCKET_ERR_INVALID_LENGTH', 1002], 8: ['FERROSOCKET_ERR_FRAME_TOO_BIG', 1009],
    9: ['FERROSOCKET_ERR_MESSAGE_TOO_BIG', 1009], 10: ['FERROSOCKET_ERR_UNEXPECTED_CONTINUATION', 1002],
    11: ['FERROSOCKET_ERR_EXPECTED_CONTINUATION', 1002], 12: ['FERROSOCKET_ERR_INVALID_UTF8', 1007],
    13: ['FERROSOCKET_ERR_INVALID_CLOSE_CODE', 1002], 14: ['FERROSOCKET_ERR_INVALID_CLOSE_PAYLOAD', 1002],
    15: ['FERROSOCKET_ERR_TOO_MANY_FRAGMENTS', 1008], 16: ['FERROSOCKET_ERR_UNSUPPORTED_LENGTH', 1009],
  }
  for (const [name, h, opts, code] of ERROR_CASES) {
    // A valid frame first: it must be delivered, and the error must point at the failing frame's first byte.
    const ok = frame(0x8a, Buffer.alloc(0), opts.flags & 1 ? KEY : undefined)
    const r = parse(codec, Buffer.concat([ok, hex(h)]), opts)
    t.is(r.error, code, name)
    t.is(r.count, 1, name)
    t.is(r.consumed, ok.length, name)
    t.is(r.pending, 0, name)
    t.deepEqual(ERROR_TABLE[code], want[code], name)
  }
})

test('error table: every ErrorCode has its stable string code and close code', (t) => {
  const want: Array<[keyof typeof ErrorCode, string, number]> = [
    ['None', 'FERROSOCKET_ERR_NONE', 1000],
    ['ReservedBitsSet', 'FERROSOCKET_ERR_RESERVED_BITS', 1002],
    ['ReservedOpcode', 'FERROSOCKET_ERR_RESERVED_OPCODE', 1002],
    ['ControlFrameTooBig', 'FERROSOCKET_ERR_CONTROL_FRAME_TOO_BIG', 1002],
    ['FragmentedControlFrame', 'FERROSOCKET_ERR_FRAGMENTED_CONTROL_FRAME', 1002],
    ['UnmaskedClientFrame', 'FERROSOCKET_ERR_UNMASKED_CLIENT_FRAME', 1002],
    ['MaskedServerFrame', 'FERROSOCKET_ERR_MASKED_SERVER_FRAME', 1002],
    ['InvalidLength', 'FERROSOCKET_ERR_INVALID_LENGTH', 1002],
    ['FrameTooBig', 'FERROSOCKET_ERR_FRAME_TOO_BIG', 1009],
    ['MessageTooBig', 'FERROSOCKET_ERR_MESSAGE_TOO_BIG', 1009],
    ['UnexpectedContinuation', 'FERROSOCKET_ERR_UNEXPECTED_CONTINUATION', 1002],
    ['ExpectedContinuation', 'FERROSOCKET_ERR_EXPECTED_CONTINUATION', 1002],
    ['InvalidUtf8', 'FERROSOCKET_ERR_INVALID_UTF8', 1007],
    ['InvalidCloseCode', 'FERROSOCKET_ERR_INVALID_CLOSE_CODE', 1002],
    ['InvalidClosePayload', 'FERROSOCKET_ERR_INVALID_CLOSE_PAYLOAD', 1002],
    ['TooManyFragments', 'FERROSOCKET_ERR_TOO_MANY_FRAGMENTS', 1008],
    ['UnsupportedLength', 'FERROSOCKET_ERR_UNSUPPORTED_LENGTH', 1009],
  ]
  t.is(ERROR_TABLE.length, want.length)
  want.forEach(([name, str, close], i) => {
    t.is(ErrorCode[name] as number, i)
    t.is(errorName(i), str)
    t.is(closeCodeOf(i), close)
  })
})

test('parseFrames: sequencing errors and too many fragments', (t) => {
  const s = new Float64Array(STATE_SLOTS)
  t.like(parse(codec, hex('0100'), CLIENT, s), { count: 1, error: 0 })
  t.like(parse(codec, hex('0100'), CLIENT, s), { count: 0, error: ErrorCode.ExpectedContinuation, consumed: 0 })
  t.like(parse(codec, hex('0200'), CLIENT, s), { count: 0, error: ErrorCode.ExpectedContinuation })
  t.like(parse(codec, hex('8000'), CLIENT, s), { count: 1, error: 0, message: { opcode: 0, bytes: 0, utf8: 0, fragments: 0 } })
  const limited = { ...CLIENT, maxFragments: 3 }
  const r = parse(codec, hex('0201aa 0001bb 0001cc 8001dd'), limited)
  t.like(r, { count: 3, error: ErrorCode.TooManyFragments, consumed: 9 })
  t.like(parse(codec, hex('0201aa 0001bb 8001cc'), limited), { count: 3, error: 0 })
})

test('parseFrames: message size counts every fragment; exactly the limit is allowed', (t) => {
  const opts = { ...CLIENT, maxFrameSize: 4, maxMessageSize: 6 }
  t.like(parse(codec, hex('0203aabbcc 8003ddeeff'), opts), { count: 2, error: 0 })
  t.like(parse(codec, hex('0203aabbcc 0003ddeeff 8001aa'), opts), { count: 2, error: ErrorCode.MessageTooBig, consumed: 10 })
  t.like(parse(codec, hex('8205aabbccddee'), opts), { count: 0, error: ErrorCode.FrameTooBig })
  t.like(parse(codec, hex('8204aabbccdd'), opts), { count: 1, error: 0 })
  // Control frames are not part of the message size.
  t.like(parse(codec, hex('0203aabbcc 8904aabbccdd 8003ddeeff'), opts), { count: 3, error: 0 })
})

test('parseFrames: need-more at every prefix length, then pending at every payload prefix', (t) => {
  const samples: Array<[Buffer, typeof SERVER]> = [
    [frame(0x81, Buffer.from('Hello'), KEY), SERVER],
    [frame(0x82, Buffer.alloc(300, 7), KEY), SERVER],
    [frame(0x82, Buffer.alloc(70000, 9), KEY), SERVER],
    [frame(0x82, Buffer.alloc(200, 1)), CLIENT],
    [frame(0x89, Buffer.alloc(0), KEY), SERVER],
  ]
  for (const [f, opts] of samples) {
    const b1 = f[1]!
    const headerLen = 2 + ((b1 & 0x7f) === 126 ? 2 : (b1 & 0x7f) === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0)
    const length = f.length - headerLen
    for (let p = 0; p < f.length; p++) {
      if (p > 40 && p < f.length - 40 && p % 997 !== 0) continue
      const r = parse(codec, Buffer.from(f.subarray(0, p)), opts)
      t.is(r.count, 0)
      t.is(r.error, 0)
      if (p < headerLen) {
        t.like(r, { pending: 0, consumed: 0, need: p === 0 ? 0 : p < 2 ? 2 : headerLen }, `prefix ${p}`)
      } else {
        t.like(r, { pending: 1, consumed: headerLen, need: length - (p - headerLen) }, `prefix ${p}`)
        t.is(r.pendingFrame!.length, length)
      }
    }
    const whole = parse(codec, Buffer.from(f), opts)
    t.like(whole, { count: 1, pending: 0, need: 0, consumed: f.length, error: 0 })
  }
})

test('parseFrames: a pending frame is neither unmasked nor validated, and FIN does not reset the message', (t) => {
  const f = frame(0x81, hex('c0af41'), KEY) // invalid UTF-8, but only 2 of 3 payload bytes arrive
  const buf = Buffer.from(f.subarray(0, f.length - 1))
  const masked = toHex(buf)
  const r = parse(codec, buf, SERVER)
  t.like(r, { count: 0, pending: 1, need: 1, consumed: 6, error: 0, message: { opcode: 1, bytes: 3, utf8: 0, fragments: 1 } })
  t.deepEqual(r.pendingFrame, { bits: 0x181, offset: 6, length: 3, key: 0x37fa213d })
  t.is(toHex(buf), masked, 'payload bytes untouched')
  // A pending continuation adds to the message.
  const s = new Float64Array(STATE_SLOTS)
  parse(codec, hex('0102 4142'), CLIENT, s)
  const r2 = parse(codec, hex('8005 4142'), CLIENT, s)
  t.like(r2, { count: 0, pending: 1, need: 3, message: { opcode: 1, bytes: 7, utf8: 0, fragments: 2 } })
})

test('parseFrames: complete frames are unmasked in place with descriptors; control frames inside a message', (t) => {
  const buf = Buffer.concat([
    frame(0x01, Buffer.from('Hel'), KEY),
    frame(0x89, Buffer.from('ping'), hex('01020304')),
    frame(0x80, Buffer.from('lo'), hex('a0b0c0d0')),
  ])
  const r = parse(codec, buf, SERVER)
  t.is(r.count, 3)
  t.deepEqual(r.frames, [
    { bits: 0x101, offset: 6, length: 3, key: 0x37fa213d },
    { bits: 0x189, offset: 15, length: 4, key: 0x01020304 },
    { bits: 0x180, offset: 25, length: 2, key: 0xa0b0c0d0 },
  ])
  t.is(buf.subarray(6, 9).toString(), 'Hel')
  t.is(buf.subarray(15, 19).toString(), 'ping')
  t.is(buf.subarray(25, 27).toString(), 'lo')
  t.like(r, { consumed: buf.length, need: 0, pending: 0, error: 0, message: { opcode: 0, bytes: 0, utf8: 0, fragments: 0 } })
})

test('parseFrames: message state and a split code point carried across calls', (t) => {
  const s = new Float64Array(STATE_SLOTS)
  // "€" = e2 82 ac split over three fragments, in three calls.
  t.like(parse(codec, hex('0102 41e2'), CLIENT, s), { count: 1, message: { opcode: 1, bytes: 2, utf8: (1 << 24) | (0xe2 << 16), fragments: 1 } })
  t.like(parse(codec, hex('0001 82'), CLIENT, s), { count: 1, message: { opcode: 1, bytes: 3, utf8: (2 << 24) | (0xe2 << 16) | (0x82 << 8), fragments: 2 } })
  t.like(parse(codec, hex('8001 ac'), CLIENT, s), { count: 1, error: 0, message: { opcode: 0, bytes: 0, utf8: 0, fragments: 0 } })
  // The same but the last fragment breaks the code point.
  parse(codec, hex('0102 41e2'), CLIENT, s)
  t.like(parse(codec, hex('8001 41'), CLIENT, s), { count: 0, error: ErrorCode.InvalidUtf8 })
  // The caller's pending-frame bookkeeping: S_UTF8 is the caller's to update.
  const s2 = new Float64Array(STATE_SLOTS)
  s2[S_MESSAGE_OPCODE] = 1
  s2[S_UTF8] = (1 << 24) | (0xc2 << 16)
  t.like(parse(codec, hex('8001 a9'), CLIENT, s2), { count: 1, error: 0, message: { opcode: 0, bytes: 0, utf8: 0, fragments: 0 } })
})

test('parseFrames: RSV1 with PARSE_ALLOW_RSV1 marks the message (| 0x40) and skips UTF-8', (t) => {
  const opts = { ...CLIENT, flags: PARSE_ALLOW_RSV1 }
  const s = new Float64Array(STATE_SLOTS)
  const r = parse(codec, hex('4102 c0af'), opts, s)
  t.like(r, { count: 1, error: 0, message: { opcode: 0x41, bytes: 2, utf8: 0, fragments: 1 } })
  t.like(parse(codec, hex('4001 00'), opts, s), { count: 0, error: ErrorCode.ReservedBitsSet }, 'RSV1 on a continuation')
  t.like(parse(codec, hex('8001 ff'), opts, s), { count: 1, error: 0, message: { opcode: 0, bytes: 0, utf8: 0, fragments: 0 } })
  t.like(parse(codec, hex('c202 0102'), opts), { count: 1, error: 0 })
})

test('parseFrames: out full stops before the next frame; start/end are honoured', (t) => {
  const buf = hex('ffff 8101 41 8101 42 827e01')
  const out = new Float64Array(4)
  const s = new Float64Array(STATE_SLOTS)
  t.is(codec.parseFrames(buf, 2, 8, CLIENT, s, out), 1)
  t.deepEqual(Array.from(s.subarray(0, 4)), [5, 2, 0, 0])
  t.deepEqual(Array.from(out), [0x81, 4, 1, 0])
  t.is(codec.parseFrames(buf, 5, 8, CLIENT, s, out), 1)
  t.deepEqual(Array.from(s.subarray(0, 4)), [8, 0, 0, 0])
  t.is(codec.parseFrames(buf, 8, buf.length, CLIENT, s, out), 0)
  t.deepEqual(Array.from(s.subarray(0, 4)), [8, 4, 0, 0], 'incomplete 16-bit header: need 4')
})

// ---- fragmentation ----

test('encodeMessage: 40000 B with threshold 16384 → 16384/16384/7232, opcodes 1,0,0, FIN only last', (t) => {
  const payload = Buffer.alloc(40000)
  for (let i = 0; i < payload.length; i++) payload[i] = 0x61 + (i % 26)
  const total = codec.encodedLength(40000, 16384, false)
  t.is(total, 3 * 4 + 40000)
  const out = Buffer.alloc(total + 2, 0xee)
  t.is(codec.encodeMessage(payload, 1, false, 16384, null, out, 1), total)
  t.is(out[0], 0xee)
  t.is(out[total + 1], 0xee)
  t.is(toHex(out.subarray(1, 5)), '017e4000')
  t.is(toHex(out.subarray(5 + 16384, 9 + 16384)), '007e4000')
  t.is(toHex(out.subarray(9 + 32768, 13 + 32768)), '807e1c40')
  t.deepEqual(Buffer.concat([out.subarray(5, 5 + 16384), out.subarray(9 + 16384, 9 + 32768), out.subarray(13 + 32768, 1 + total)]), payload)
  // Masked, with one key per frame, and RSV1 only on the first.
  const keys = hex('01020304 a0b0c0d0 37fa213d')
  const mt = codec.encodedLength(40000, 16384, true)
  t.is(mt, 3 * 8 + 40000)
  const m = Buffer.alloc(mt)
  t.is(codec.encodeMessage(payload, 2, true, 16384, keys, m, 0), mt)
  t.is(toHex(m.subarray(0, 8)), '42fe400001020304')
  t.is(toHex(m.subarray(8 + 16384, 16 + 16384)), '00fe4000a0b0c0d0')
  t.is(toHex(m.subarray(16 + 32768, 24 + 32768)), '80fe1c4037fa213d')
  t.deepEqual(m.subarray(24 + 32768), naiveMask(payload.subarray(32768), hex('37fa213d')))
  t.deepEqual(m.subarray(8, 8 + 16384), naiveMask(payload.subarray(0, 16384), hex('01020304')))
  // And the parser gives the payload back.
  const back = parse(codec, Buffer.from(m), { ...SERVER, flags: 1 | PARSE_ALLOW_RSV1 })
  t.is(back.count, 3)
  t.is(back.error, 0)
})

test('encodeMessage/encodedLength: no split at length == threshold, threshold 0 never splits, empty payload', (t) => {
  t.is(codec.encodedLength(16384, 16384, false), 4 + 16384)
  t.is(codec.encodedLength(16385, 16384, false), 4 + 16384 + 2 + 1)
  t.is(codec.encodedLength(100000, 0, false), 10 + 100000)
  t.is(codec.encodedLength(0, 10, true), 6)
  const out = Buffer.alloc(6)
  t.is(codec.encodeMessage(Buffer.alloc(0), 8, false, 10, hex('01020304'), out, 0), 6)
  t.is(toHex(out), '888001020304')
  const small = Buffer.alloc(5 + 2 * 3)
  t.is(codec.encodeMessage(Buffer.from('Hello'), 1, false, 2, null, small, 0), 11)
  t.is(toHex(small), '0102' + '4865' + '0002' + '6c6c' + '80016f')
})

// ---- close (§5.5.1, §7.4) ----

test('isValidCloseCode: the §7.4 ranges', (t) => {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535, -1, 1000.5, NaN, Infinity]
  for (const c of valid) t.true(codec.isValidCloseCode(c), String(c))
  for (const c of invalid) t.false(codec.isValidCloseCode(c), String(c))
})

test('encodeClosePayload / decodeClosePayload', (t) => {
  t.is(toHex(codec.encodeClosePayload(1000, 'bye')), '03e8627965')
  t.is(toHex(codec.encodeClosePayload(4999, '')), '1387')
  t.is(codec.encodeClosePayload(1000, 'é'.repeat(61) + 'a').length, 125)
  t.throws(() => codec.encodeClosePayload(1000, 'a'.repeat(124)), { instanceOf: RangeError })
  t.throws(() => codec.encodeClosePayload(1005, ''), { instanceOf: RangeError })
  t.throws(() => codec.encodeClosePayload(1006, 'x'), { instanceOf: RangeError })
  t.deepEqual(codec.decodeClosePayload(hex('03e8627965')), { code: 1000, reason: 'bye' })
  t.deepEqual(codec.decodeClosePayload(hex('')), { code: 1005, reason: '' })
  t.deepEqual(codec.decodeClosePayload(hex('0fa0e282ac')), { code: 4000, reason: '€' })
  t.is(codec.decodeClosePayload(hex('03')), ErrorCode.InvalidClosePayload)
  t.is(codec.decodeClosePayload(hex('03ed')), ErrorCode.InvalidCloseCode)
  t.is(codec.decodeClosePayload(hex('0000')), ErrorCode.InvalidCloseCode)
  t.is(codec.decodeClosePayload(hex('03e8c0af')), ErrorCode.InvalidUtf8)
  t.is(codec.decodeClosePayload(hex('03e8e282')), ErrorCode.InvalidUtf8)
})
