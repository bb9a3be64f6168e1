/**
 * The codec seam (ws's buffer-util shape): callers import `codec` from here and never learn which backend
 * runs. Over the native addon, small inputs stay in TypeScript, because a native call has a fixed cost
 * (~35–100 ns through N-API) that the twin beats below the thresholds measured below. Arguments are validated
 * here, identically for both backends (`validate.ts`).
 */
import { logger } from '../debug.js'
import { backendMode, loadNative, nativeRequiredMessage, type LoadError, type NativeLoad } from './loader.js'
import type { NativeAddon } from './native.js'
import { validatedCodec, NO_THRESHOLDS, type Thresholds } from './seam.js'
import { tsCodec, twinCodec } from './twin/index.js'
import type { Backend, Codec } from './types.js'

/*
 * Sizes (bytes) from which the native backend is called; below them the twin runs. Measured with
 * `node --import @oxc-node/core/register __test__/helpers/codec-thresholds.ts` on the 2-core dev VM (Zen 4,
 * Node 20.20, quiet run; other runs under load were ~2× slower on both sides, same crossovers ±1 step): raw
 * calls without the shared validation, ns per call, median of 5 runs of ≥ 20 ms. ts / native:
 *   unmask          16 B: 32 / 55    24 B: 63 / 61    32 B: 89 / 53    256 B: 71 / 30   1 KiB: 208 / 38
 *   mask (offset 6) 64 B: 43 / 56    96 B: 62 / 57    128 B: 134 / 102 512 B: 250 / 91  4 KiB: 903 / 85
 *   isValidUtf8     ASCII 24 B–4 KiB: within ±3 ns (both simdutf), 64 KiB: 479 / 455;
 *                   mixed text 1 KiB: 89 / 144, 4 KiB: 121 / 209, 64 KiB: 1618 / 2888
 *   utf8Stream      mixed text 768 B: 42 / 64, 1 KiB: 48 / 113, 64 KiB: 2544 / 5499
 *   parseFrames     (addon with the params-array binding, ~85 ns floor) one masked binary frame 128 B: 79 / 86,
 *                   256 B: 82 / 87, 384 B: 94 / 88, 1 KiB: 155 / 94; one text frame 32 B: 124 / 98, 256 B: 148 / 96,
 *                   1 KiB: 233 / 101 (the twin pays subarray + isUtf8 per text frame)
 *   encodeMessage   masked 256 B: 102 / 184, 512 B: 111 / 102, 1 KiB: 163 / 98
 *   encodeHeader    3–21 / 49–112 at every length (pure arithmetic; likewise encodedLength, isValidCloseCode)
 * (isValidUtf8 and utf8Stream above: the addon before issue 16, with simdutf8.) UTF-8 validation alone stays in
 * TypeScript at every size: the addon's own simdutf behind an N-API call runs at 0.81–1.0× of Node's `buffer.isUtf8`
 * (simdutf inside Node; CPU time, 1 KiB–16 MiB, ASCII and mixed text: benches/results/utf8-cpu.md). Inside native
 * `parseFrames` and `decodeText` the addon validates with simdutf itself, with no extra call.
 */
/** unmask: native from 32 B (the same cut ws uses for bufferutil). */
const UNMASK_NATIVE_MIN = 32
/** mask: native from 96 B (the addon's 5-argument call costs ~55 ns; the twin's unrolled loop wins below). */
const MASK_NATIVE_MIN = 96
/** isValidUtf8: never native (see above). */
const UTF8_NATIVE_MIN = Infinity
/** utf8Stream: never native (see above). */
const UTF8_STREAM_NATIVE_MIN = Infinity
/** parseFrames: native for chunks (end - start) from 256 B (binary crosses at ~300 B, text already at ~32 B). */
const PARSE_NATIVE_MIN = 256
/** encodeMessage: native for payloads from 512 B. */
const ENCODE_MESSAGE_NATIVE_MIN = 512
/**
 * decodeUtf8 / decodeText: native from 64 B. CPU ns per call, `Buffer#toString` (no validation) / addon `decodeText`
 * (simdutf validates while it transcodes, then one N-API string creation; benches/results/text.md, 2026-12-04):
 * mixed-script text 64 B: 255 / 111, 1 KiB: 3137 / 436, 64 KiB: 197,900 / 24,200; Latin-1-only 1 KiB: 2380 / 161;
 * ASCII 64 B: 62 / 50, 64 KiB: 5752 / 4468. Below 64 B the call floor is most of either.
 */
const DECODE_UTF8_NATIVE_MIN = 64

/** The sizes above, for `validatedCodec`. */
const HYBRID: Thresholds = {
  mask: MASK_NATIVE_MIN,
  unmask: UNMASK_NATIVE_MIN,
  isValidUtf8: UTF8_NATIVE_MIN,
  utf8Stream: UTF8_STREAM_NATIVE_MIN,
  decodeUtf8: DECODE_UTF8_NATIVE_MIN,
  parseFrames: PARSE_NATIVE_MIN,
  encodeMessage: ENCODE_MESSAGE_NATIVE_MIN,
  // Header bytes, lengths and close codes are a few shifts and compares: always cheaper than the N-API call.
  arithmetic: true,
}

/**
 * The validated codec over a native implementation. With `hybrid` the twin handles inputs below the
 * thresholds; without it every call goes native (what the parity tests compare).
 */
function nativeSeam(nat: Codec, hybrid: boolean): Codec {
  return validatedCodec(nat, twinCodec, hybrid ? HYBRID : NO_THRESHOLDS)
}

const debug = logger('codec')
let nativeLoad: NativeLoad | null = null
function native(): NativeLoad {
  nativeLoad ??= loadNative()
  return nativeLoad
}

function select(): Codec {
  const mode = backendMode()
  if (mode === 'ts') {
    debug('codec backend=ts (FERROSOCKET_BACKEND=ts)')
    return tsCodec
  }
  const n = native()
  if (n.codec !== null) {
    debug('codec backend=native (%s)', n.source)
    return nativeSeam(n.codec, true)
  }
  if (mode === 'native') throw new Error(nativeRequiredMessage(n.errors))
  debug('codec backend=ts (native addon not loaded: %s)', n.errors.map((e) => `${e.path}: ${e.reason}`).join('; '))
  return tsCodec
}

/** The codec every module uses. */
export const codec: Codec = select()
/** Which implementation `codec` runs on. */
export const backend: Backend = codec.backend

export { tsCodec }

let validatedNative: Codec | null | undefined
/**
 * The native backend alone (validated, no TypeScript below thresholds), or null when the addon does not load —
 * whatever `FERROSOCKET_BACKEND` says. For parity tests.
 */
export function loadNativeCodec(): Codec | null {
  if (validatedNative === undefined) {
    const n = native().codec
    validatedNative = n === null ? null : nativeSeam(n, false)
  }
  return validatedNative
}

/** The raw addon exports, or null (tests of the binding's own argument checks). */
export function loadNativeAddon(): NativeAddon | null {
  return native().addon
}

/** Why the addon did not load (each path tried, in order); empty when it loaded or was never looked for. */
export function nativeLoadErrors(): readonly LoadError[] {
  return nativeLoad === null ? [] : nativeLoad.errors
}

export { closeCodeOf, errorName } from './twin/error.js'
