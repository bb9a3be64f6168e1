/**
 * The validated `Codec`, written once for both backends: the shared argument checks of `validate.ts`, then the
 * call. Over the native addon, inputs below measured sizes go to the twin instead (a native call has a fixed cost
 * of ~35–100 ns through N-API; the thresholds and their measurements are in `index.ts`).
 */
import type { Codec } from './types.js'
import {
  checkBytes,
  checkCloseCode,
  checkEncodeClose,
  checkEncodedLength,
  checkEncodeHeader,
  checkEncodeMessage,
  checkMask,
  checkParse,
  checkTextAppend,
  checkTextFinish,
  checkUnmask,
  checkUtf8Stream,
} from './validate.js'

/** Sizes (bytes) from which `impl` runs rather than `small`; `arithmetic`: header/length/close-code math in `small`. */
export interface Thresholds {
  readonly mask: number
  readonly unmask: number
  readonly isValidUtf8: number
  readonly utf8Stream: number
  readonly decodeUtf8: number
  readonly parseFrames: number
  readonly encodeMessage: number
  readonly arithmetic: boolean
}

/** Every call to `impl`. */
export const NO_THRESHOLDS: Thresholds = {
  mask: 0,
  unmask: 0,
  isValidUtf8: 0,
  utf8Stream: 0,
  decodeUtf8: 0,
  parseFrames: 0,
  encodeMessage: 0,
  arithmetic: false,
}

/**
 * `impl` behind the argument checks; `small` (the raw twin, trusted arguments) takes inputs below `min`. `small` also
 * supplies the pure functions the checks need (encodedLength, isValidCloseCode).
 */
export function validatedCodec(impl: Codec, small: Codec, min: Thresholds): Codec {
  const twinEncodedLength = small.encodedLength
  const twinIsValidCloseCode = small.isValidCloseCode
  const arith = min.arithmetic ? small : impl
  return {
    backend: impl.backend,
    mask(source, mask, output, offset, length) {
      checkMask(source, mask, output, offset, length)
      if (length < min.mask) small.mask(source, mask, output, offset, length)
      else impl.mask(source, mask, output, offset, length)
    },
    unmask(buffer, mask) {
      checkUnmask(buffer, mask)
      if (buffer.length < min.unmask) small.unmask(buffer, mask)
      else impl.unmask(buffer, mask)
    },
    isValidUtf8(buffer) {
      checkBytes(buffer, 'buffer')
      return buffer.length < min.isValidUtf8 ? small.isValidUtf8(buffer) : impl.isValidUtf8(buffer)
    },
    utf8Stream(state, buffer, final) {
      checkUtf8Stream(state, buffer, final)
      return buffer.length < min.utf8Stream ? small.utf8Stream(state, buffer, final) : impl.utf8Stream(state, buffer, final)
    },
    decodeUtf8(buffer) {
      checkBytes(buffer, 'buffer')
      return buffer.length < min.decodeUtf8 ? small.decodeUtf8(buffer) : impl.decodeUtf8(buffer)
    },
    decodeText(buffer) {
      checkBytes(buffer, 'buffer')
      return buffer.length < min.decodeUtf8 ? small.decodeText(buffer) : impl.decodeText(buffer)
    },
    // A text message belongs to the backend that made it: never handed to the other one, whatever the size.
    textCreate: () => impl.textCreate(),
    textAppend(message, source, key, next) {
      checkTextAppend(source, key, next)
      return impl.textAppend(message, source, key, next)
    },
    textFinish(message, keepBytes) {
      checkTextFinish(keepBytes)
      return impl.textFinish(message, keepBytes)
    },
    textTakeBytes: (message) => impl.textTakeBytes(message),
    textReset: (message) => impl.textReset(message),
    parseFrames(buf, start, end, opts, state, out) {
      checkParse(buf, start, end, opts, state, out)
      return end - start < min.parseFrames
        ? small.parseFrames(buf, start, end, opts, state, out)
        : impl.parseFrames(buf, start, end, opts, state, out)
    },
    encodeHeader(out, offset, bits, payloadLength, maskKey) {
      checkEncodeHeader(out, offset, bits, payloadLength, maskKey)
      return arith.encodeHeader(out, offset, bits, payloadLength, maskKey)
    },
    encodedLength(payloadLength, threshold, masked) {
      checkEncodedLength(payloadLength, threshold, masked)
      return arith.encodedLength(payloadLength, threshold, masked)
    },
    encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset) {
      checkEncodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset, twinEncodedLength)
      return payload.length < min.encodeMessage
        ? small.encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset)
        : impl.encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset)
    },
    isValidCloseCode(code) {
      checkCloseCode(code)
      return arith.isValidCloseCode(code)
    },
    encodeClosePayload(code, reason) {
      checkEncodeClose(code, reason, twinIsValidCloseCode)
      return impl.encodeClosePayload(code, reason)
    },
    decodeClosePayload(payload) {
      checkBytes(payload, 'payload')
      return impl.decodeClosePayload(payload)
    },
  }
}
