// Bad input to every codec function: the right TypeError/RangeError with the same message on every backend,
// never a crash, never a write outside the caller's buffers — through the seam and on the raw addon exports.
import test from 'ava'
import { codec, loadNativeAddon, loadNativeCodec, tsCodec } from '../ts/codec/index.js'
import { ABI_VERSION, backendMode } from '../ts/codec/loader.js'
import type { Codec } from '../ts/codec/types.js'
import { CLIENT, Prng, hex, naiveMask, toHex } from './helpers/codec-util.js'

const native = loadNativeCodec()
const addon = loadNativeAddon()
const backends: Array<[string, Codec]> = [['codec', codec], ['ts', tsCodec]]
if (native !== null) backends.push(['native', native])

type Fn = keyof Omit<Codec, 'backend'>
type Case = [fn: Fn, label: string, args: () => unknown[], error: typeof TypeError | typeof RangeError]

const b = (n: number) => Buffer.alloc(n)
const K = () => hex('01020304')
const S = () => new Float64Array(8)
const O = () => new Float64Array(8)
const shared = new ArrayBuffer(256)

const CASES: Case[] = [
  ['mask', 'source is a string', () => ['abcd', K(), b(4), 0, 4], TypeError],
  ['mask', 'source is null', () => [null, K(), b(4), 0, 4], TypeError],
  ['mask', 'mask of 3 bytes', () => [b(4), hex('010203'), b(4), 0, 4], RangeError],
  ['mask', 'mask of 5 bytes', () => [b(4), hex('0102030405'), b(4), 0, 4], RangeError],
  ['mask', 'mask as a number', () => [b(4), 0x01020304, b(4), 0, 4], TypeError],
  ['mask', 'output is an Array', () => [b(4), K(), [0, 0, 0, 0], 0, 4], TypeError],
  ['mask', 'negative offset', () => [b(4), K(), b(8), -1, 4], RangeError],
  ['mask', 'fractional offset', () => [b(4), K(), b(8), 1.5, 2], RangeError],
  ['mask', 'NaN offset', () => [b(4), K(), b(8), NaN, 2], RangeError],
  ['mask', 'offset as a string', () => [b(4), K(), b(8), '0', 4], TypeError],
  ['mask', 'offset past output', () => [b(4), K(), b(8), 9, 0], RangeError],
  ['mask', 'length past source', () => [b(4), K(), b(8), 0, 5], RangeError],
  ['mask', 'length past output at offset', () => [b(8), K(), b(8), 4, 5], RangeError],
  ['mask', 'negative length', () => [b(4), K(), b(8), 0, -1], RangeError],
  ['mask', 'Infinity length', () => [b(4), K(), b(8), 0, Infinity], RangeError],
  ['unmask', 'buffer is a string', () => ['abcd', K()], TypeError],
  ['unmask', 'buffer is a Float64Array', () => [new Float64Array(2), K()], TypeError],
  ['unmask', 'buffer is a DataView', () => [new DataView(new ArrayBuffer(4)), K()], TypeError],
  ['unmask', 'mask missing', () => [b(4)], TypeError],
  ['unmask', 'mask of 0 bytes', () => [b(4), b(0)], RangeError],
  ['isValidUtf8', 'string', () => ['abc'], TypeError],
  ['isValidUtf8', 'undefined', () => [undefined], TypeError],
  ['isValidUtf8', 'ArrayBuffer', () => [new ArrayBuffer(4)], TypeError],
  ['isValidUtf8', 'Uint16Array', () => [new Uint16Array(4)], TypeError],
  ['decodeUtf8', 'string', () => ['abc'], TypeError],
  ['decodeUtf8', 'undefined', () => [undefined], TypeError],
  ['decodeUtf8', 'ArrayBuffer', () => [new ArrayBuffer(4)], TypeError],
  ['decodeUtf8', 'Uint16Array', () => [new Uint16Array(4)], TypeError],
  ['utf8Stream', 'state as a string', () => ['0', b(1), false], TypeError],
  ['utf8Stream', 'state -1', () => [-1, b(1), false], RangeError],
  ['utf8Stream', 'fractional state', () => [1.5, b(1), false], RangeError],
  ['utf8Stream', 'NaN state', () => [NaN, b(1), false], RangeError],
  ['utf8Stream', 'state 2^32', () => [2 ** 32, b(1), false], RangeError],
  ['utf8Stream', 'buffer is a string', () => [0, 'abc', false], TypeError],
  ['utf8Stream', 'final is a number', () => [0, b(1), 1], TypeError],
  ['utf8Stream', 'final missing', () => [0, b(1)], TypeError],
  ['parseFrames', 'buf is a string', () => ['8100', 0, 2, CLIENT, S(), O()], TypeError],
  ['parseFrames', 'negative start', () => [b(4), -1, 2, CLIENT, S(), O()], RangeError],
  ['parseFrames', 'end past buf', () => [b(4), 0, 5, CLIENT, S(), O()], RangeError],
  ['parseFrames', 'start after end', () => [b(4), 3, 2, CLIENT, S(), O()], RangeError],
  ['parseFrames', 'fractional end', () => [b(4), 0, 2.5, CLIENT, S(), O()], RangeError],
  ['parseFrames', 'opts null', () => [b(4), 0, 2, null, S(), O()], TypeError],
  ['parseFrames', 'opts.flags negative', () => [b(4), 0, 2, { ...CLIENT, flags: -1 }, S(), O()], RangeError],
  ['parseFrames', 'opts.flags fractional', () => [b(4), 0, 2, { ...CLIENT, flags: 1.5 }, S(), O()], RangeError],
  ['parseFrames', 'opts.maxFrameSize NaN', () => [b(4), 0, 2, { ...CLIENT, maxFrameSize: NaN }, S(), O()], RangeError],
  ['parseFrames', 'opts.maxMessageSize negative', () => [b(4), 0, 2, { ...CLIENT, maxMessageSize: -1 }, S(), O()], RangeError],
  ['parseFrames', 'opts.maxFragments a string', () => [b(4), 0, 2, { ...CLIENT, maxFragments: '3' }, S(), O()], TypeError],
  ['parseFrames', 'opts.maxFrameSize missing', () => [b(4), 0, 2, { flags: 0, maxMessageSize: 1, maxFragments: 0 }, S(), O()], TypeError],
  ['parseFrames', 'state is a Float32Array', () => [b(4), 0, 2, CLIENT, new Float32Array(8), O()], TypeError],
  ['parseFrames', 'state of 7 slots', () => [b(4), 0, 2, CLIENT, new Float64Array(7), O()], RangeError],
  ['parseFrames', 'out is an Array', () => [b(4), 0, 2, CLIENT, S(), [0, 0, 0, 0]], TypeError],
  ['parseFrames', 'out of 3 slots', () => [b(4), 0, 2, CLIENT, S(), new Float64Array(3)], RangeError],
  ['parseFrames', 'state and out share memory', () => [b(4), 0, 2, CLIENT, new Float64Array(shared, 0, 8), new Float64Array(shared, 32, 8)], RangeError],
  ['parseFrames', 'out over buf', () => [new Uint8Array(shared, 0, 64), 0, 2, CLIENT, S(), new Float64Array(shared, 0, 8)], RangeError],
  ['encodeHeader', 'out too small', () => [b(3), 0, 0x81, 126, -1], RangeError],
  ['encodeHeader', 'offset past out', () => [b(14), 15, 0x81, 0, -1], RangeError],
  ['encodeHeader', 'bits 256', () => [b(14), 0, 256, 0, -1], RangeError],
  ['encodeHeader', 'bits -1', () => [b(14), 0, -1, 0, -1], RangeError],
  ['encodeHeader', 'length 2^53', () => [b(14), 0, 0x82, 2 ** 53, -1], RangeError],
  ['encodeHeader', 'length -1', () => [b(14), 0, 0x82, -1, -1], RangeError],
  ['encodeHeader', 'fractional length', () => [b(14), 0, 0x82, 1.5, -1], RangeError],
  ['encodeHeader', 'maskKey -2', () => [b(14), 0, 0x82, 1, -2], RangeError],
  ['encodeHeader', 'maskKey 2^32', () => [b(14), 0, 0x82, 1, 2 ** 32], RangeError],
  ['encodeHeader', 'maskKey as a Buffer', () => [b(14), 0, 0x82, 1, K()], TypeError],
  ['encodeHeader', 'out is a string', () => ['xxxxxxxxxxxxxx', 0, 0x82, 1, -1], TypeError],
  ['encodedLength', 'negative length', () => [-1, 0, false], RangeError],
  ['encodedLength', 'NaN length', () => [NaN, 0, false], RangeError],
  ['encodedLength', 'negative threshold', () => [10, -1, false], RangeError],
  ['encodedLength', 'fractional threshold', () => [10, 1.5, false], RangeError],
  ['encodedLength', 'masked as a number', () => [10, 0, 1], TypeError],
  ['encodedLength', 'length as a BigInt', () => [10n, 0, false], TypeError],
  ['encodeMessage', 'payload is a string', () => ['hello', 1, false, 0, null, b(20), 0], TypeError],
  ['encodeMessage', 'opcode 16', () => [b(5), 16, false, 0, null, b(20), 0], RangeError],
  ['encodeMessage', 'rsv1 as a string', () => [b(5), 1, 'yes', 0, null, b(20), 0], TypeError],
  ['encodeMessage', 'negative threshold', () => [b(5), 1, false, -1, null, b(20), 0], RangeError],
  ['encodeMessage', 'maskKeys short for the frames', () => [b(5), 1, false, 2, hex('0102030405060708'), b(40), 0], RangeError],
  ['encodeMessage', 'maskKeys is a string', () => [b(5), 1, false, 0, 'abcd', b(20), 0], TypeError],
  ['encodeMessage', 'maskKeys undefined', () => [b(5), 1, false, 0, undefined, b(20), 0], TypeError],
  ['encodeMessage', 'out too small', () => [b(5), 1, false, 0, null, b(6), 0], RangeError],
  ['encodeMessage', 'offset leaves too little room', () => [b(5), 1, false, 0, null, b(8), 2], RangeError],
  ['encodeMessage', 'out over payload', () => { const m = b(32); return [m.subarray(0, 5), 1, false, 0, null, m, 0] }, RangeError],
  ['isValidCloseCode', 'code as a string', () => ['1000'], TypeError],
  ['isValidCloseCode', 'code missing', () => [], TypeError],
  ['encodeClosePayload', 'code as a string', () => ['1000', ''], TypeError],
  ['encodeClosePayload', 'reason as a number', () => [1000, 5], TypeError],
  ['encodeClosePayload', 'code 1005', () => [1005, ''], RangeError],
  ['encodeClosePayload', 'code 1000.5', () => [1000.5, ''], RangeError],
  ['encodeClosePayload', 'reason of 124 bytes', () => [1000, 'a'.repeat(124)], RangeError],
  ['encodeClosePayload', 'reason of 62 two-byte chars', () => [1000, 'é'.repeat(62)], RangeError],
  ['decodeClosePayload', 'payload is a string', () => ['03e8'], TypeError],
]

function call(c: Codec, fn: Fn, args: unknown[]): unknown {
  return (c[fn] as (...a: unknown[]) => unknown)(...args)
}

test('every bad argument throws the right error class with the same message on every backend', (t) => {
  for (const [fn, label, args, klass] of CASES) {
    const messages = backends.map(([name, c]) => {
      const err = t.throws(() => call(c, fn, args()), { instanceOf: klass }, `${name} ${fn}: ${label}`)
      return err?.message
    })
    t.true(messages.every((m) => m === messages[0]), `${fn}: ${label}: ${JSON.stringify(messages)}`)
  }
})

test('no write happens when a call is refused', (t) => {
  const out = Buffer.alloc(8, 0xee)
  t.throws(() => codec.mask(Buffer.alloc(8, 1), K(), out, 4, 5))
  t.throws(() => codec.encodeMessage(Buffer.alloc(5, 1), 1, false, 0, null, out, 2))
  t.throws(() => codec.encodeHeader(out, 6, 0x81, 126, -1))
  t.is(out.toString('hex'), 'eeeeeeeeeeeeeeee')
})

test('a key stored inside the buffer it masks is read before any byte is written (frame header + payload)', (t) => {
  for (const [name, c] of backends) {
    for (const len of [5, 64, 200, 5000]) {
      // mask(): the key sits in the header right before the payload it masks, as WebSocketFrame writes it.
      const out = Buffer.alloc(6 + len)
      out.set(K(), 2)
      const data = Buffer.alloc(len, 0x5a)
      c.mask(data, out.subarray(2, 6), out, 6, len)
      t.deepEqual(out.subarray(6), naiveMask(data, K()), `${name} mask ${len}`)
      t.is(toHex(out.subarray(2, 6)), '01020304')
      // unmask(): the key is the first 4 bytes of the buffer itself.
      const buf = Buffer.alloc(len, 0x33)
      buf.set(K(), 0)
      const want = naiveMask(Buffer.from(buf), K())
      c.unmask(buf, buf.subarray(0, 4))
      t.deepEqual(buf, want, `${name} unmask ${len}`)
    }
  }
})

// A pool of hostile values for random argument positions.
const JUNK: Array<() => unknown> = [
  () => undefined, () => null, () => NaN, () => -0, () => -1, () => 0, () => 1, () => 3.5, () => 2 ** 31, () => 2 ** 32,
  () => 2 ** 53, () => Infinity, () => -Infinity, () => 1e300, () => '1', () => '', () => true, () => false, () => ({}),
  () => [], () => 1n, () => Symbol('x'), () => () => 0, () => Buffer.alloc(0), () => Buffer.alloc(3), () => Buffer.alloc(16, 0x81),
  () => new Uint8Array(new ArrayBuffer(8), 1, 4), () => new Float64Array(8), () => new Float64Array(2), () => new Uint16Array(4),
  () => new ArrayBuffer(8), () => new DataView(new ArrayBuffer(8)), () => CLIENT, () => ({ flags: 1, maxFrameSize: -1 }),
]

test('random hostile arguments: only TypeError/RangeError, identical outcome on every backend', (t) => {
  const rng = new Prng(0xbad)
  const fns: Array<[Fn, number]> = [
    ['mask', 5], ['unmask', 2], ['isValidUtf8', 1], ['utf8Stream', 3], ['decodeUtf8', 1], ['parseFrames', 6], ['encodeHeader', 5],
    ['encodedLength', 3], ['encodeMessage', 7], ['isValidCloseCode', 1], ['encodeClosePayload', 2], ['decodeClosePayload', 1],
  ]
  for (let iter = 0; iter < 3000; iter++) {
    const [fn, arity] = rng.pick(fns)
    const picks = Array.from({ length: arity }, () => rng.int(JUNK.length))
    const outcomes = backends.map(([, c]) => {
      try {
        const r = call(c, fn, picks.map((i) => JUNK[i]!()))
        return `ok ${typeof r === 'object' && r !== null ? JSON.stringify(r, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') : v)) : String(r)}`
      } catch (err) {
        t.true(err instanceof TypeError || err instanceof RangeError, `${fn}(${picks.join(',')}): ${String(err)}`)
        return `${(err as Error).name}: ${(err as Error).message}`
      }
    })
    t.true(outcomes.every((o) => o === outcomes[0]), `${fn}(${picks.join(',')}): ${JSON.stringify(outcomes)}`)
  }
  // Still alive and correct afterwards.
  t.true(codec.isValidUtf8(hex('e282ac')))
})

test('raw addon exports reject bad input themselves, without crashing', (t) => {
  if (backendMode() === 'native') t.not(addon, null, 'the addon must load under FERROSOCKET_BACKEND=native')
  if (addon === null) {
    t.is(native, null)
    return
  }
  const raw = addon as unknown as Record<string, (...a: unknown[]) => unknown>
  // The raw parseFrames takes [start, end, flags, maxFrameSize, maxMessageSize, maxFragments] in one Float64Array.
  const P = (start: number, end: number) => Float64Array.from([start, end, 0, 100, 100, 0])
  const calls: Array<[string, unknown[]]> = [
    ['mask', ['abcd', 0, b(4), 0, 4]],
    ['mask', [b(4), 0, b(8), 9, 0]],
    ['mask', [b(4), 0, b(8), 0, 5]],
    ['mask', [b(8), 0, b(8), 4, 5]],
    ['mask', [b(4), 0, b(8), -1, 4]],
    ['mask', [b(4), 0, b(8), NaN, 4]],
    ['mask', [b(4), 0, b(8), 0.5, 2]],
    ['maskFrame', ['abcd', 0, b(4)]],
    ['maskFrame', [b(4), 0, new Float64Array(1)]],
    ['maskFrame', [b(4), 5 * 2 ** 32, b(8)]],
    ['maskFrame', [b(5), 0, b(4)]],
    ['maskFrame', [b(4), -1, b(8)]],
    ['maskFrame', [b(4), 0.5, b(8)]],
    ['maskFrame', [b(4), 2 ** 53, b(8)]],
    ['maskFrame', [b(4), '0', b(8)]],
    ['unmask', ['abcd', 0]],
    ['unmask', [new Float64Array(2), 0]],
    ['isValidUtf8', ['abc']],
    ['isValidUtf8', [null]],
    ['utf8Stream', [0, 'abc', false]],
    ['parseFrames', [b(4), P(0, 5), S(), O()]],
    ['parseFrames', [b(4), P(3, 2), S(), O()]],
    ['parseFrames', [b(4), P(-1, 2), S(), O()]],
    ['parseFrames', [b(4), P(0, 2.5), S(), O()]],
    ['parseFrames', [b(4), new Float64Array(5), S(), O()]],
    ['parseFrames', [b(4), [0, 2, 0, 100, 100, 0], S(), O()]],
    ['parseFrames', [b(4), P(0, 2), new Float64Array(7), O()]],
    ['parseFrames', [b(4), P(0, 2), S(), new Float64Array(3)]],
    ['parseFrames', [b(4), P(0, 2), new Float32Array(8), O()]],
    ['parseFrames', [new Uint8Array(shared, 0, 64), P(0, 2), S(), new Float64Array(shared, 0, 8)]],
    ['parseFrames', [b(4), P(0, 2), new Float64Array(shared, 0, 8), new Float64Array(shared, 32, 8)]],
    ['parseFrames', ['8100', P(0, 2), S(), O()]],
    ['encodeHeader', [b(3), 0, 0x81, 126, -1]],
    ['encodeHeader', [b(14), 15, 0x81, 0, -1]],
    ['encodeHeader', [b(14), 0, 256, 0, -1]],
    ['encodeHeader', [b(14), 0, 0x82, 2 ** 53, -1]],
    ['encodeHeader', [b(14), 0, 0x82, 1, 2 ** 32]],
    ['encodedLength', [-1, 0, false]],
    ['encodedLength', [NaN, 0, false]],
    ['encodeMessage', [b(5), 1, false, 0, null, b(6), 0]],
    ['encodeMessage', [b(5), 1, false, 2, hex('01020304'), b(40), 0]],
    ['encodeMessage', [b(5), 1, false, 0, null, b(20), 21]],
    ['encodeClosePayload', [1005, '']],
    ['encodeClosePayload', [1000, 'a'.repeat(124)]],
    ['closePayloadStatus', ['03e8']],
  ]
  for (const [fn, args] of calls) {
    t.is(typeof raw[fn], 'function', fn)
    const err = t.throws(() => raw[fn]!(...args), undefined, `raw ${fn}(${args.map((a) => (ArrayBuffer.isView(a) ? a.constructor.name + a.byteLength : String(a))).join(', ')})`)
    t.true(err instanceof TypeError || err instanceof RangeError, `raw ${fn}: ${String(err)}`)
  }
  // Control: the same export with good arguments works.
  const st = S()
  t.is(raw.parseFrames!(hex('8100'), P(0, 2), st, O()), 1)
  t.is(st[0], 2)
  const framed = Buffer.alloc(8)
  raw.maskFrame!(hex('01020304'), 0xff00ff00 + 2 * 2 ** 32, framed)
  t.is(framed.toString('hex'), '0000fe02fc040000', 'maskFrame: key in the low 32 bits, offset above them')
  // Random junk straight into the raw exports: a thrown Error or a return, never a crash.
  const rng = new Prng(0xdead)
  const names = Object.keys(raw).filter((k) => typeof raw[k] === 'function')
  for (let iter = 0; iter < 2000; iter++) {
    const fn = rng.pick(names)
    const args = Array.from({ length: 1 + rng.int(9) }, () => JUNK[rng.int(JUNK.length)]!())
    try {
      raw[fn]!(...args)
    } catch (err) {
      t.true(err instanceof TypeError || err instanceof RangeError, `${fn}: ${String(err)}`)
    }
  }
  t.is(raw.abiVersion!(), ABI_VERSION)
})
