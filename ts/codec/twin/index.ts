/**
 * The pure-TypeScript twin of the Rust core (`crates/ferrosocket-core`), module for module: mask, utf8, header,
 * parse, fragment, close, error. `twinCodec` is the raw implementation (arguments trusted: the seam validates
 * once and uses it below the native thresholds); `tsCodec` is the validated `Codec` the 'ts' backend exports.
 */
import type { Codec } from '../types.js'
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
} from '../validate.js'
import { decodeClosePayload, encodeClosePayload, isValidCloseCode } from './close.js'
import { encodedLength, encodeMessage } from './fragment.js'
import { encodeHeader } from './header.js'
import { mask, unmask } from './mask.js'
import { parseFrames } from './parse.js'
import { decodeUtf8, isValidUtf8, utf8Stream } from './utf8.js'

/** The twin without argument checks. Internal: callers must have run the `validate.ts` checks. */
export const twinCodec: Codec = {
  backend: 'ts',
  mask,
  unmask,
  isValidUtf8,
  utf8Stream,
  decodeUtf8,
  parseFrames,
  encodeHeader,
  encodedLength,
  encodeMessage,
  isValidCloseCode,
  encodeClosePayload,
  decodeClosePayload,
}

/** The pure-TypeScript codec (backend 'ts'), with the same argument validation as the native one. */
export const tsCodec: Codec = {
  backend: 'ts',
  mask(source, maskKey, output, offset, length) {
    checkMask(source, maskKey, output, offset, length)
    mask(source, maskKey, output, offset, length)
  },
  unmask(buffer, maskKey) {
    checkUnmask(buffer, maskKey)
    unmask(buffer, maskKey)
  },
  isValidUtf8(buffer) {
    checkBytes(buffer, 'buffer')
    return isValidUtf8(buffer)
  },
  utf8Stream(state, buffer, final) {
    checkUtf8Stream(state, buffer, final)
    return utf8Stream(state, buffer, final)
  },
  decodeUtf8(buffer) {
    checkBytes(buffer, 'buffer')
    return decodeUtf8(buffer)
  },
  parseFrames(buf, start, end, opts, state, out) {
    checkParse(buf, start, end, opts, state, out)
    return parseFrames(buf, start, end, opts, state, out)
  },
  encodeHeader(out, offset, bits, payloadLength, maskKey) {
    checkEncodeHeader(out, offset, bits, payloadLength, maskKey)
    return encodeHeader(out, offset, bits, payloadLength, maskKey)
  },
  encodedLength(payloadLength, threshold, masked) {
    checkEncodedLength(payloadLength, threshold, masked)
    return encodedLength(payloadLength, threshold, masked)
  },
  encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset) {
    checkEncodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset, encodedLength)
    return encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset)
  },
  isValidCloseCode(code) {
    checkCloseCode(code)
    return isValidCloseCode(code)
  },
  encodeClosePayload(code, reason) {
    checkEncodeClose(code, reason, isValidCloseCode)
    return encodeClosePayload(code, reason)
  },
  decodeClosePayload(payload) {
    checkBytes(payload, 'payload')
    return decodeClosePayload(payload)
  },
}

export { mask, unmask, xorRange } from './mask.js'
export { isValidUtf8, scanUtf8, utf8Stream, utf8StreamRange } from './utf8.js'
export { encodeHeader, headerLength } from './header.js'
export { parseFrames } from './parse.js'
export { encodedLength, encodeMessage, frameCount } from './fragment.js'
export { closePayloadStatus, decodeClosePayload, encodeClosePayload, isValidCloseCode } from './close.js'
export { closeCodeOf, errorName } from './error.js'
