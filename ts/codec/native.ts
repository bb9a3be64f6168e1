/**
 * The native backend: a thin adapter from the napi-rs addon (`crates/ferrosocket-node` over
 * `crates/ferrosocket-core`) to the `Codec` contract in `types.ts`.
 *
 * The addon's signatures are shaped for call cost, not for readers. Every N-API argument read costs
 * ~7–10 ns (measured: parseFrames with nine arguments spent 108 ns before parsing a byte), so masking keys
 * travel as one big-endian u32 instead of a 4-byte array, parseFrames gets start/end/options in one
 * Float64Array, and close payloads come back as a status number whose reason this adapter decodes (no
 * string built in Rust).
 * Argument validation with uniform messages happens in `validate.ts` in front of both backends; the
 * addon still rejects out-of-range offsets and aliasing arrays itself (RangeError), so a call that
 * bypasses the seam can never read or write outside the caller's buffers.
 */
import { Buffer } from 'node:buffer'
import type { Codec, ErrorCode, TextMessage } from './types.js'
import { decodeUtf8 as twinDecodeUtf8 } from './twin/utf8.js'

/** The functions the addon exports (napi-rs camelCase names). */
export interface NativeAddon {
  /** Calling-convention version; the loader trusts only `ABI_VERSION` (loader.ts). */
  abiVersion(): number
  /** output[offset + i] = source[i] ^ key[i & 3]; `mask` is the key as a big-endian u32. */
  mask(source: Uint8Array, mask: number, output: Uint8Array, offset: number, length: number): void
  /**
   * `mask(source, key, output, offset, source.length)` with `keyAt` = key + offset × 2^32 (offset < 2^21): two
   * N-API argument reads fewer (~10 ns of a ~50 ns call).
   */
  maskFrame(source: Uint8Array, keyAt: number, output: Uint8Array): void
  /** buffer[i] ^= key[i & 3] in place; `mask` is the key as a big-endian u32. */
  unmask(buffer: Uint8Array, mask: number): void
  isValidUtf8(buffer: Uint8Array): boolean
  /** New carry state, or -1 when invalid (see `Codec.utf8Stream`). */
  utf8Stream(state: number, buffer: Uint8Array, isFinal: boolean): number
  /**
   * The string of `buffer`, validated while transcoding (one simdutf pass), or undefined when it is not valid
   * UTF-8 (see `Codec.decodeText`). A RangeError with code ERR_STRING_TOO_LONG above V8's maximum string length.
   */
  decodeUtf8(buffer: Uint8Array): string | undefined
  /** `Codec.textCreate`: an external owning a `ferrosocket_core::text_message::TextMessage`. */
  textCreate(): TextMessage
  /** `Codec.textAppend`. */
  textAppend(message: TextMessage, source: Uint8Array, key: number, next: number): number
  /** `Codec.textFinish`: the string made with simdutf's non-validating transcoders from the appended bytes. */
  textFinish(message: TextMessage, keepBytes: boolean): string
  /**
   * `Codec.textTakeBytes`: the Buffer the bytes were appended into (only the addon referenced it until now), or a
   * Uint8Array view of its first bytes when the message does not fill it.
   */
  textTakeBytes(message: TextMessage): Uint8Array
  /** `Codec.textReset`. */
  textReset(message: TextMessage): void
  /**
   * `Codec.parseFrames` with the numbers in one array:
   * `params` = [start, end, flags, maxFrameSize, maxMessageSize, maxFragments] (see `PARSE_PARAMS`).
   */
  parseFrames(buf: Uint8Array, params: Float64Array, state: Float64Array, out: Float64Array): number
  encodeHeader(out: Uint8Array, offset: number, bits: number, payloadLength: number, maskKey: number): number
  encodedLength(payloadLength: number, threshold: number, masked: boolean): number
  encodeMessage(
    payload: Uint8Array,
    opcode: number,
    rsv1: boolean,
    threshold: number,
    maskKeys: Uint8Array | null,
    out: Uint8Array,
    offset: number,
  ): number
  isValidCloseCode(code: number): boolean
  encodeClosePayload(code: number, reason: string): Uint8Array
  /** The close code of a close payload (1005 when empty), or minus the `ErrorCode` that rejects it. */
  closePayloadStatus(payload: Uint8Array): number
}

/**
 * Every export of an addon of ABI version `ABI_VERSION`, exactly (the loader refuses an addon lacking one; a test
 * compares this list with what the built addon exports, so a new export cannot go unnoticed).
 */
export const ADDON_EXPORTS = [
  'abiVersion',
  'mask',
  'maskFrame',
  'unmask',
  'isValidUtf8',
  'utf8Stream',
  'decodeUtf8',
  'textCreate',
  'textAppend',
  'textFinish',
  'textTakeBytes',
  'textReset',
  'parseFrames',
  'encodeHeader',
  'encodedLength',
  'encodeMessage',
  'isValidCloseCode',
  'encodeClosePayload',
  'closePayloadStatus',
] as const satisfies ReadonlyArray<keyof NativeAddon>

// Compile-time half of the check: every member of NativeAddon is listed above.
type Unlisted = Exclude<keyof NativeAddon, (typeof ADDON_EXPORTS)[number]>
const everyExportListed: [Unlisted] extends [never] ? true : Unlisted = true
void everyExportListed

/** The first function the TS side uses that `addon` lacks, or null when it has them all. */
export function missingExport(addon: object): string | null {
  const exports = addon as Record<string, unknown>
  for (const name of ADDON_EXPORTS) if (typeof exports[name] !== 'function') return name
  return null
}

/** A 4-byte masking key as the unsigned big-endian u32 the addon takes. */
function keyOf(mask: Uint8Array): number {
  // A short key would silently read `undefined` as 0 below; validate.ts rejects it first, this is the backstop.
  if (mask.length !== 4) throw new RangeError(`The value of "mask.length" is out of range. It must be 4. Received ${mask.length}`)
  return ((mask[0]! << 24) | (mask[1]! << 16) | (mask[2]! << 8) | mask[3]!) >>> 0
}

const reasonDecoder = new TextDecoder()

/** `maskFrame` packs the offset above the 32 key bits of one double: offsets below 2^21 stay exact. */
const MASK_FRAME_OFFSET_LIMIT = 0x20_0000

/** Slots of the `params` array of `NativeAddon.parseFrames`. */
export const PARSE_PARAMS = 6

/** The `Codec` over a loaded addon. */
export function createNativeCodec(addon: NativeAddon): Codec {
  const {
    mask,
    maskFrame,
    unmask,
    isValidUtf8,
    utf8Stream,
    decodeUtf8,
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
    closePayloadStatus,
  } = addon
  // Reused by every call: parseFrames is synchronous, so no two calls share it at once.
  const params = new Float64Array(PARSE_PARAMS)
  return {
    backend: 'native',
    mask: (source, key, output, offset, length) =>
      length === source.length && offset < MASK_FRAME_OFFSET_LIMIT
        ? maskFrame(source, keyOf(key) + offset * 0x1_0000_0000, output)
        : mask(source, keyOf(key), output, offset, length),
    unmask: (buffer, key) => unmask(buffer, keyOf(key)),
    isValidUtf8: (buffer) => isValidUtf8(buffer),
    utf8Stream: (state, buffer, final) => utf8Stream(state, buffer, final),
    // Invalid input (never a validated message) is decoded with replacement characters by Node, as the twin does.
    decodeUtf8: (buffer) => decodeUtf8(buffer) ?? twinDecodeUtf8(buffer),
    // The addon validates while it transcodes (simdutf): undefined is its verdict "not UTF-8".
    decodeText: (buffer) => decodeUtf8(buffer) ?? null,
    textCreate: () => textCreate(),
    textAppend: (message, source, key, next) => textAppend(message, source, key, next),
    textFinish: (message, keepBytes) => textFinish(message, keepBytes),
    textTakeBytes(message) {
      const bytes = textTakeBytes(message)
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    },
    textReset: (message) => textReset(message),
    parseFrames(buf, start, end, opts, state, out) {
      params[0] = start
      params[1] = end
      params[2] = opts.flags
      params[3] = opts.maxFrameSize
      params[4] = opts.maxMessageSize
      params[5] = opts.maxFragments
      return parseFrames(buf, params, state, out)
    },
    encodeHeader: (out, offset, bits, payloadLength, maskKey) => encodeHeader(out, offset, bits, payloadLength, maskKey),
    encodedLength: (payloadLength, threshold, masked) => encodedLength(payloadLength, threshold, masked),
    encodeMessage: (payload, opcode, rsv1, threshold, maskKeys, out, offset) =>
      encodeMessage(payload, opcode, rsv1, threshold, maskKeys, out, offset),
    isValidCloseCode: (code) => isValidCloseCode(code),
    encodeClosePayload: (code, reason) => encodeClosePayload(code, reason),
    decodeClosePayload(payload) {
      const status = closePayloadStatus(payload)
      if (status < 0) return -status as ErrorCode
      // Validated as UTF-8 by the addon, so decoding cannot substitute U+FFFD.
      return { code: status, reason: payload.length > 2 ? reasonDecoder.decode(payload.subarray(2)) : '' }
    },
  }
}
