/**
 * The codec seam (ws's buffer-util shape): callers import `codec` from here and never learn which backend
 * runs. Over the native addon, small inputs stay in TypeScript, because a native call has a fixed cost
 * (~35–100 ns through N-API) that the twin beats below the thresholds measured below. Arguments are validated
 * here, identically for both backends (`validate.ts`).
 */
import { debuglog } from 'node:util'
import { backendMode, loadNative, nativeRequiredMessage, type LoadError, type NativeLoad } from './loader.js'
import type { NativeAddon } from './native.js'
import { tsCodec, twinCodec } from './twin/index.js'
import type { Backend, Codec } from './types.js'
import {
  checkBytes,
  checkCloseCode,
  checkEncodeClose,
  checkEncodedLength,
  checkEncodeHeader,
  checkEncodeMessage,
  checkMask,
  checkParse,
  checkUnmask,
  checkUtf8Stream,
} from './validate.js'

/*
 * Sizes (bytes) from which the native backend is called; below them the twin runs. Measured on the 2-core dev VM
 * (Node 20.20, shared with other jobs, so ±30% noise) with `__test__/helpers/codec-thresholds.ts`: raw calls
 * without validation, ns per call, median of 5 runs of ≥ 20 ms. ts / native:
 *   unmask          16 B: 21 / 29    24 B: 27 / 30    32 B: 43 / 29    128 B: 54 / 28   1 KiB: 142 / 32
 *   mask (offset 6) 64 B: 91 / 116   128 B: 90 / 114  192 B: 128 / 80  256 B: 173 / 97  1 KiB: 494 / 168
 *   isValidUtf8     ASCII 1 KiB: 64 / 42, 64 KiB: 796 / 626;  mixed 1 KiB: 62 / 71, 64 KiB: 1625 / 2919
 *   utf8Stream      mixed 512 B: 79 / 96, 1 KiB: 50 / 111, 64 KiB: 3202 / 5869
 *   parseFrames     one masked binary frame 512 B: 109–157 / 160–165, 1 KiB: 161–187 / 137–242, 2 KiB: 484 / 180;
 *                   text 1 KiB: 423–437 / 211–422, 2 KiB: 340 / 191 (a native call with 9 arguments costs ~130 ns)
 *   encodeMessage   masked 512 B: 164–197 / 193–238, 1 KiB: 199–379 / 196–314, 2 KiB: 594 / 253
 *   encodeHeader    13–23 / 62–153 at every length
 * UTF-8 stays in TypeScript at every size: `buffer.isUtf8` (simdutf, AVX-512 here) beats the addon's simdutf8 on
 * multibyte text by ~2× and loses on pure ASCII by ≤ 1.5×; inside `parseFrames` the native path validates anyway.
 */
/** unmask: native from 32 B (ws uses the same cut for bufferutil). */
const UNMASK_NATIVE_MIN = 32
/** mask: native from 128 B (the addon's 5-argument call costs ~110 ns; the twin's unrolled loop wins below). */
const MASK_NATIVE_MIN = 128
/** isValidUtf8: never native (see above). */
const UTF8_NATIVE_MIN = Infinity
/** utf8Stream: never native (see above). */
const UTF8_STREAM_NATIVE_MIN = Infinity
/** parseFrames: native for chunks (end - start) from 1 KiB. */
const PARSE_NATIVE_MIN = 1024
/** encodeMessage: native for payloads from 1 KiB. */
const ENCODE_MESSAGE_NATIVE_MIN = 1024

const {
  mask: twinMask,
  unmask: twinUnmask,
  isValidUtf8: twinIsValidUtf8,
  utf8Stream: twinUtf8Stream,
  parseFrames: twinParseFrames,
  encodeHeader: twinEncodeHeader,
  encodedLength: twinEncodedLength,
  encodeMessage: twinEncodeMessage,
  isValidCloseCode: twinIsValidCloseCode,
} = twinCodec

/**
 * The validated codec over a native implementation. With `hybrid` the twin handles inputs below the
 * thresholds; without it every call goes native (what the parity tests compare).
 */
function nativeSeam(nat: Codec, hybrid: boolean): Codec {
  const maskMin = hybrid ? MASK_NATIVE_MIN : 0
  const unmaskMin = hybrid ? UNMASK_NATIVE_MIN : 0
  const utf8Min = hybrid ? UTF8_NATIVE_MIN : 0
  const utf8StreamMin = hybrid ? UTF8_STREAM_NATIVE_MIN : 0
  const parseMin = hybrid ? PARSE_NATIVE_MIN : 0
  const encodeMin = hybrid ? ENCODE_MESSAGE_NATIVE_MIN : 0
  return {
    backend: 'native',
    mask(source, mask, output, offset, length) {
      checkMask(source, mask, output, offset, length)
      if (length < maskMin) twinMask(source, mask, output, offset, length)
      else nat.mask(source, mask, output, offset, length)
    },
    unmask(buffer, mask) {
      checkUnmask(buffer, mask)
      if (buffer.length < unmaskMin) twinUnmask(buffer, mask)
      else nat.unmask(buffer, mask)
    },
    isValidUtf8(buffer) {
      checkBytes(buffer, 'buffer')
      return buffer.length < utf8Min ? twinIsValidUtf8(buffer) : nat.isValidUtf8(buffer)
    },
    utf8Stream(state, buffer, final) {
      checkUtf8Stream(state, buffer, final)
      return buffer.length < utf8StreamMin ? twinUtf8Stream(state, buffer, final) : nat.utf8Stream(state, buffer, final)
    },
    parseFrames(buf, start, end, opts, state, out) {
      checkParse(buf, start, end, opts, state, out)
      return end - start < parseMin
        ? twinParseFrames(buf, start, end, opts, state, out)
        : nat.parseFrames(buf, start, end, opts, state, out)
    },
    encodeHeader(out, offset, bits, payloadLength, maskKey) {
      checkEncodeHeader(out, offset, bits, payloadLength, maskKey)
      // A few shifts and stores: always cheaper than the N-API call floor.
      return hybrid
        ? twinEncodeHeader(out, offset, bits, payloadLength, maskKey)
        : nat.encodeHeader(out, offset, bits, payloadLength, maskKey)
    },
    encodedLength(payloadLength, threshold, masked) {
      checkEncodedLength(payloadLength, threshold, masked)
      // Pure arithmetic: always cheaper in JS.
      return hybrid ? twinEncodedLength(payloadLength, threshold, masked) : nat.encodedLength(payloadLength, threshold, masked)
    },
    encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset) {
      checkEncodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset, twinEncodedLength)
      return payload.length < encodeMin
        ? twinEncodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset)
        : nat.encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset)
    },
    isValidCloseCode(code) {
      checkCloseCode(code)
      return hybrid ? twinIsValidCloseCode(code) : nat.isValidCloseCode(code)
    },
    encodeClosePayload(code, reason) {
      checkEncodeClose(code, reason, twinIsValidCloseCode)
      return nat.encodeClosePayload(code, reason)
    },
    decodeClosePayload(payload) {
      checkBytes(payload, 'payload')
      return nat.decodeClosePayload(payload)
    },
  }
}

const debug = debuglog('ferrosocket')
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
