/**
 * The pure-TypeScript twin of the Rust core (`crates/ferrosocket-core`), module for module: mask, utf8, header,
 * parse, fragment, close, error, text_message (`textMessage.ts`). `twinCodec` is the raw implementation (arguments trusted: the seam validates
 * once and uses it below the native thresholds); `tsCodec` is the validated `Codec` the 'ts' backend exports.
 */
import { NO_THRESHOLDS, validatedCodec } from '../seam.js'
import type { Codec } from '../types.js'
import { decodeClosePayload, encodeClosePayload, isValidCloseCode } from './close.js'
import { encodedLength, encodeMessage } from './fragment.js'
import { encodeHeader } from './header.js'
import { mask, unmask } from './mask.js'
import { parseFrames } from './parse.js'
import { textAppend, textCreate, textFinish, textReset, textTakeBytes } from './textMessage.js'
import { decodeText, decodeUtf8, isValidUtf8, utf8Stream } from './utf8.js'

/** The twin without argument checks. Internal: callers must have run the `validate.ts` checks. */
export const twinCodec: Codec = {
  backend: 'ts',
  mask,
  unmask,
  isValidUtf8,
  utf8Stream,
  decodeUtf8,
  decodeText,
  textCreate,
  textAppend,
  textFinish,
  textTakeBytes,
  textReset,
  parseFrames,
  encodeHeader,
  encodedLength,
  encodeMessage,
  isValidCloseCode,
  encodeClosePayload,
  decodeClosePayload,
}

/** The pure-TypeScript codec (backend 'ts'), with the same argument validation as the native one. */
export const tsCodec: Codec = validatedCodec(twinCodec, twinCodec, NO_THRESHOLDS)

export { mask, unmask, xorRange } from './mask.js'
export { isValidUtf8, scanUtf8, utf8Stream, utf8StreamRange } from './utf8.js'
export { encodeHeader, headerLength } from './header.js'
export { parseFrames } from './parse.js'
export { encodedLength, encodeMessage, frameCount } from './fragment.js'
export { closePayloadStatus, decodeClosePayload, encodeClosePayload, isValidCloseCode } from './close.js'
export { closeCodeOf, errorName } from './error.js'
