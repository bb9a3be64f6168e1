/**
 * The codec seam: every byte-level operation of RFC 6455 §5 / §7.4 that ferrosocket performs.
 *
 * Two implementations with identical behaviour exist: the native one (`ts/codec/native.ts`, over the
 * napi-rs addon built from `crates/ferrosocket-node`, which wraps `crates/ferrosocket-core`) and the
 * pure-TypeScript twin (`ts/codec/twin/*.ts`, mirroring the Rust core module for module). The parity
 * tests keep them equal: same results, same error codes, same close codes, same bytes.
 *
 * Callers (WebSocketConnection, WebSocketFrame, WebSocketClient …) only ever import `codec` from
 * `ts/codec/index.ts`; only that module knows which backend runs.
 */

/** Which implementation of the codec is running. */
export type Backend = 'native' | 'ts'

// ---------------------------------------------------------------------------------------------
// Opcodes (RFC 6455 §5.2)
// ---------------------------------------------------------------------------------------------
export const OPCODE_CONTINUATION = 0x0
export const OPCODE_TEXT = 0x1
export const OPCODE_BINARY = 0x2
export const OPCODE_CLOSE = 0x8
export const OPCODE_PING = 0x9
export const OPCODE_PONG = 0xa

// ---------------------------------------------------------------------------------------------
// Batch parsing: `parseFrames(buf, start, end, opts, state, out)`
// ---------------------------------------------------------------------------------------------

/** Number of Float64 slots per frame descriptor in the `out` array of `parseFrames`. */
export const FRAME_STRIDE = 4
/** descriptor[0]: the first header byte (FIN<<7 | RSV1<<6 | RSV2<<5 | RSV3<<4 | opcode) | MASK bit << 8. */
export const D_BITS = 0
/** descriptor[1]: absolute index in `buf` where the payload starts. */
export const D_PAYLOAD_OFFSET = 1
/** descriptor[2]: payload length in bytes (< 2^53). */
export const D_PAYLOAD_LENGTH = 2
/** descriptor[3]: the 4-byte masking key as an unsigned 32-bit big-endian number (k0<<24|k1<<16|k2<<8|k3), 0 when unmasked. */
export const D_MASK_KEY = 3

/** Bit in `ParseOptions.flags`: incoming frames must be masked (we are the server). Otherwise they must not be (client). */
export const PARSE_EXPECT_MASKED = 1
/** Bit in `ParseOptions.flags`: RSV1 is allowed on the first frame of a data message (a negotiated extension such as permessage-deflate). */
export const PARSE_ALLOW_RSV1 = 2
/**
 * Bit in `ParseOptions.flags`: uncompressed text frames (opcode 1, and the continuations of a text message) are not
 * UTF-8 validated by `parseFrames`; their descriptors have `D_TEXT_UNCHECKED` in `D_BITS` (S_UTF8 stays 0), and the
 * caller validates each byte once: a whole message in one frame while decoding it (`decodeText`), the frames of a
 * fragmented message as it appends them (`textAppend`: streaming, fail-fast at the frame with the first invalid
 * byte, §8.1). Pending payloads are the caller's anyway; close reasons are validated by the parse as always.
 */
export const PARSE_DEFER_TEXT = 4
/** Bit in a descriptor's `D_BITS`: this text frame was not UTF-8 validated (see `PARSE_DEFER_TEXT`). */
export const D_TEXT_UNCHECKED = 0x200

/**
 * Slots of the `state` Float64Array of `parseFrames` (length STATE_SLOTS). Slots marked (in/out) carry the
 * per-connection message state between calls; the caller keeps one state array per connection and starts
 * it zero-filled. Slots marked (out) are written by every call.
 */
export const STATE_SLOTS = 8
/** (out) Absolute index in `buf` of the first byte not consumed: after the last complete frame, or after the header of the pending frame, or at the start of an incomplete header, or at the start of the frame that failed. */
export const S_CONSUMED = 0
/** (out) When `S_PENDING` is 0 and bytes remain: the total number of header bytes needed from `S_CONSUMED` to parse the next header (2..14), else 0. When `S_PENDING` is 1: the payload bytes of the pending frame not yet in `buf`. */
export const S_NEED = 1
/** (out) 1 when the header of a frame whose payload is not complete in `buf` was parsed and validated: its descriptor is written in `out` right after the complete frames (index `count * FRAME_STRIDE`), its payload starts at `S_CONSUMED`, the bytes of its payload present in `buf` are NOT unmasked and NOT validated. Else 0. */
export const S_PENDING = 2
/** (out) 0, or the `ErrorCode` that stopped parsing. The frames returned before it are valid and must be delivered before the error. */
export const S_ERROR = 3
/** (in/out) Opcode of the fragmented data message in progress (1 text, 2 binary), 0 when none. */
export const S_MESSAGE_OPCODE = 4
/** (in/out) Payload bytes of the data message in progress, counted from the headers (including a pending frame's full length). */
export const S_MESSAGE_BYTES = 5
/** (in/out) Streaming UTF-8 state of the text message in progress (see `utf8Stream`), 0 when none. */
export const S_UTF8 = 6
/** (in/out) Number of frames of the data message in progress (empty ones included). */
export const S_FRAGMENTS = 7

export interface ParseOptions {
  /** PARSE_EXPECT_MASKED | PARSE_ALLOW_RSV1 */
  flags: number
  /** Maximum payload length of one frame; larger → FrameTooBig (1009). */
  maxFrameSize: number
  /** Maximum total payload of one data message; larger → MessageTooBig (1009). */
  maxMessageSize: number
  /** Maximum frames in one data message; more → TooManyFragments (1008). 0 = unlimited. */
  maxFragments: number
}

// ---------------------------------------------------------------------------------------------
// Text messages in pieces: `textCreate`, `textAppend`, `textFinish`, `textTakeBytes`, `textReset`
// ---------------------------------------------------------------------------------------------

declare const textMessageBrand: unique symbol
/**
 * A text message received in pieces (opaque): socket reads of one frame's payload, or the frames of a fragmented
 * message. Made by `textCreate` of the same backend; the native one owns its bytes where JavaScript cannot write.
 */
export interface TextMessage {
  readonly [textMessageBrand]: true
}

/** `next` of `textAppend`: this piece ends the message. */
export const TEXT_FINAL = -1
/** `next` of `textAppend`: this piece ends a frame of a message that goes on (how much follows is unknown). */
export const TEXT_FRAME_END = 0

// ---------------------------------------------------------------------------------------------
// Errors: one table shared by the Rust core (`ProtocolError` enum, same numbers) and the TS twin.
// ---------------------------------------------------------------------------------------------

/** Numeric error codes, identical in Rust (`ProtocolError as u8`) and TS. 0 means no error. */
export const ErrorCode = {
  None: 0,
  /** RSV1/2/3 set without a negotiated extension that defines them (§5.2). */
  ReservedBitsSet: 1,
  /** Opcode 0x3–0x7 or 0xB–0xF (§5.2). */
  ReservedOpcode: 2,
  /** Control frame payload longer than 125 bytes (§5.5). */
  ControlFrameTooBig: 3,
  /** Control frame without FIN (§5.5). */
  FragmentedControlFrame: 4,
  /** A client sent a frame without the mask bit (§5.1). */
  UnmaskedClientFrame: 5,
  /** A server sent a masked frame (§5.1). */
  MaskedServerFrame: 6,
  /** 64-bit payload length with the most significant bit set (§5.2). */
  InvalidLength: 7,
  /** Frame payload above `maxFrameSize`. */
  FrameTooBig: 8,
  /** Message payload above `maxMessageSize`. */
  MessageTooBig: 9,
  /** Continuation frame with no fragmented message in progress (§5.4). */
  UnexpectedContinuation: 10,
  /** Text/binary frame while a fragmented message is in progress (§5.4). */
  ExpectedContinuation: 11,
  /** Text payload or close reason that is not valid UTF-8 (§8.1). */
  InvalidUtf8: 12,
  /** Close code not allowed on the wire (§7.4). */
  InvalidCloseCode: 13,
  /** Close payload of exactly 1 byte (§5.5.1). */
  InvalidClosePayload: 14,
  /** More fragments in one message than `maxFragments`. */
  TooManyFragments: 15,
  /** 64-bit length ≥ 2^53 (not representable exactly in JS; no sane limit allows it). */
  UnsupportedLength: 16,
} as const
/** One of the values of `ErrorCode`. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** [stable string code, close code to send] per ErrorCode, index = ErrorCode. */
export const ERROR_TABLE: ReadonlyArray<readonly [string, number]> = [
  ['FERROSOCKET_ERR_NONE', 1000],
  ['FERROSOCKET_ERR_RESERVED_BITS', 1002],
  ['FERROSOCKET_ERR_RESERVED_OPCODE', 1002],
  ['FERROSOCKET_ERR_CONTROL_FRAME_TOO_BIG', 1002],
  ['FERROSOCKET_ERR_FRAGMENTED_CONTROL_FRAME', 1002],
  ['FERROSOCKET_ERR_UNMASKED_CLIENT_FRAME', 1002],
  ['FERROSOCKET_ERR_MASKED_SERVER_FRAME', 1002],
  ['FERROSOCKET_ERR_INVALID_LENGTH', 1002],
  ['FERROSOCKET_ERR_FRAME_TOO_BIG', 1009],
  ['FERROSOCKET_ERR_MESSAGE_TOO_BIG', 1009],
  ['FERROSOCKET_ERR_UNEXPECTED_CONTINUATION', 1002],
  ['FERROSOCKET_ERR_EXPECTED_CONTINUATION', 1002],
  ['FERROSOCKET_ERR_INVALID_UTF8', 1007],
  ['FERROSOCKET_ERR_INVALID_CLOSE_CODE', 1002],
  ['FERROSOCKET_ERR_INVALID_CLOSE_PAYLOAD', 1002],
  ['FERROSOCKET_ERR_TOO_MANY_FRAGMENTS', 1008],
  ['FERROSOCKET_ERR_UNSUPPORTED_LENGTH', 1009],
]

/**
 * The codec. All functions are synchronous and allocation-free unless stated. Buffers are `Uint8Array`
 * (a Node `Buffer` is one). Invalid arguments (wrong types, offsets/lengths out of range, a mask that is
 * not 4 bytes, an `out`/`state` array of the wrong kind or too small) throw `TypeError` / `RangeError`
 * with the same message on both backends — never a crash, never an out-of-bounds write.
 */
export interface Codec {
  readonly backend: Backend

  // ---- masking (§5.3) ----
  /** output[offset + i] = source[i] ^ mask[i & 3] for i in 0..length. `source` and `output` may overlap in any way: the result is as if all of `source` were read before `output` is written (memmove). */
  mask(source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number): void
  /** buffer[i] ^= mask[i & 3] for every byte, in place. */
  unmask(buffer: Uint8Array, mask: Uint8Array): void

  // ---- UTF-8 (§8.1) ----
  /** Whole-buffer validation. */
  isValidUtf8(buffer: Uint8Array): boolean
  /**
   * Streaming validation. `state` is 0 at the start of a message, else the value returned by the previous
   * call: an incomplete code point carried over, encoded as (carryLength << 24) | (b0 << 16) | (b1 << 8) | b2
   * with carryLength 1..3 and unused bytes 0. Returns the new state (0 when `buffer` ended on a code point
   * boundary), or -1 as soon as a byte is seen that can never become valid UTF-8 (including a carried
   * prefix that cannot be completed, e.g. E0 80, ED A0, F4 90, F5..FF, C0, C1). With `final` true an
   * incomplete code point at the end is invalid too (-1), and a valid result is always 0.
   */
  utf8Stream(state: number, buffer: Uint8Array, final: boolean): number
  /**
   * The string of `buffer` decoded as UTF-8, exactly `Buffer#toString('utf8')` (invalid sequences become U+FFFD).
   * Text messages are decoded with it once validated (`utf8Data`); the native backend decodes non-ASCII text
   * ~3× faster than V8's decoder in Node 20. Throws above V8's maximum string length (Node's ERR_STRING_TOO_LONG
   * on the twin, a RangeError from the addon).
   */
  decodeUtf8(buffer: Uint8Array): string
  /**
   * The string of a text message's UTF-8 bytes, or null when they are not valid UTF-8: validation and decoding in
   * one pass (the native backend validates while it transcodes; the twin runs `isValidUtf8` then Node's decoder).
   * Throws above V8's maximum string length, as `decodeUtf8` does.
   */
  decodeText(buffer: Uint8Array): string | null

  // ---- text messages in pieces (§8.1, issue 16) ----
  /** A new, empty text message. */
  textCreate(): TextMessage
  /**
   * Appends one piece of a text message: `source` unmasked with `key` (the frame's masking key rotated to this
   * piece's offset in its frame, as a big-endian u32), or copied as it is when `key` is -1, then UTF-8 validated
   * as a continuation of the pieces before it (streaming, the code point cut by a piece's end carried over).
   * `next`: `TEXT_FINAL` when this piece ends the message, `TEXT_FRAME_END` when it ends a frame of a message that
   * continues, else the number of bytes of the same frame still to come (memory grows towards them with the bytes
   * that arrive, never past them). Returns the message's length so far, or -1 as soon as a byte is seen that can
   * never become valid UTF-8 (the same piece as `utf8Stream` fails on); the message then stays failed, and every
   * append after the final one fails, until `textReset`.
   */
  textAppend(message: TextMessage, source: Uint8Array, key: number, next: number): number
  /**
   * The string of a message whose final piece was appended (made from the bytes validated while appending, not
   * validated again). With `keepBytes` its bytes stay for `textTakeBytes`; otherwise the message is emptied.
   * Throws an Error (code ERR_INVALID_STATE) when the final piece is not in (or the message failed), and above
   * V8's maximum string length a RangeError (code ERR_STRING_TOO_LONG, the message emptied).
   */
  textFinish(message: TextMessage, keepBytes: boolean): string
  /** The message's bytes, moved (not copied) into a Buffer that owns them; the message is empty afterwards. */
  textTakeBytes(message: TextMessage): Buffer
  /** Forgets the message in progress (failed or not) and frees its memory. */
  textReset(message: TextMessage): void

  // ---- frame headers (§5.2) ----
  /**
   * Batch-parse all complete frames in buf[start..end). For each complete frame: validate the header (every §5.2
   * rule, the mask rule from `opts.flags`, size limits from the header before any payload is looked at), check
   * message sequencing (§5.4) with the (in/out) state slots, unmask the payload in place, validate text
   * payloads with the streaming UTF-8 state (final on FIN), validate close payloads (length 1 → 1002;
   * code per `isValidCloseCode` → 1002; reason UTF-8 → 1007), and write its descriptor to `out`.
   * Stops at: end of data (incomplete header → S_NEED; complete header but incomplete payload → S_PENDING,
   * header checks done, message state updated as for a complete frame except UTF-8), an error (S_ERROR,
   * S_CONSUMED at the failing frame's first byte), or when `out` has no room for another descriptor.
   * Data frames update S_MESSAGE_OPCODE/S_MESSAGE_BYTES/S_FRAGMENTS/S_UTF8; a complete FIN data frame resets
   * them to 0. A *pending* data frame updates S_MESSAGE_OPCODE/S_MESSAGE_BYTES/S_FRAGMENTS but never resets
   * them, even with FIN: the caller feeds its payload through `unmask` and `utf8Stream` (with S_UTF8, storing
   * the result back) as it arrives, and resets the four message slots to 0 itself once a FIN payload is complete.
   * Control frames may arrive in the middle of a fragmented message and do not touch the message state.
   * When the first frame of a data message has RSV1 (only possible with PARSE_ALLOW_RSV1), S_MESSAGE_OPCODE
   * holds `opcode | 0x40` and the message's payloads are not UTF-8 validated here (they are compressed).
   *
   * Header checks run in this order, each as soon as the bytes it needs are present (the first 2 bytes are
   * enough for 1–6): 1 RSV2/RSV3, or RSV1 unless allowed on a text/binary frame → ReservedBitsSet;
   * 2 opcode → ReservedOpcode; 3 control without FIN → FragmentedControlFrame; 4 control with 7-bit length
   * > 125 → ControlFrameTooBig; 5 mask bit vs PARSE_EXPECT_MASKED → UnmaskedClientFrame / MaskedServerFrame;
   * 6 continuation without message → UnexpectedContinuation, text/binary during a message →
   * ExpectedContinuation; then, with the extended length present: 7 64-bit length with the top bit set →
   * InvalidLength, ≥ 2^53 → UnsupportedLength; 8 length > maxFrameSize → FrameTooBig; 9 (data frames)
   * S_MESSAGE_BYTES + length > maxMessageSize → MessageTooBig; 10 (data frames, maxFragments > 0)
   * S_FRAGMENTS + 1 > maxFragments → TooManyFragments. Then, with the payload present: unmask, then
   * UTF-8 (text) or close-payload validation.
   * Returns the number of complete frames written to `out`.
   */
  parseFrames(
    buf: Uint8Array,
    start: number,
    end: number,
    opts: ParseOptions,
    state: Float64Array,
    out: Float64Array,
  ): number

  /**
   * Encode one frame header into out[offset..]. `bits` = FIN<<7 | RSV1<<6 | RSV2<<5 | RSV3<<4 | opcode.
   * `maskKey` is the 4-byte key as an unsigned 32-bit big-endian number, or -1 for no mask. Minimal length
   * encoding. Returns the header length (2..14). Throws RangeError when `out` is too small or the length is
   * not an integer in 0..2^53-1.
   */
  encodeHeader(out: Uint8Array, offset: number, bits: number, payloadLength: number, maskKey: number): number

  /**
   * Fragmentation (WebSocket-Node semantics): a payload is split only when length > threshold
   * (threshold 0 = never split), into ceil(length / threshold) frames of `threshold` bytes (the last one
   * shorter): the first with `opcode`, the others continuation (0), FIN only on the last, `rsv1` only on the
   * first. Returns the total number of bytes of all headers + payloads (masked or not).
   */
  encodedLength(payloadLength: number, threshold: number, masked: boolean): number
  /**
   * Write the complete wire bytes of a message (all frames, headers + payloads, masked with consecutive
   * 4-byte keys from `maskKeys` — one key per frame — when `maskKeys` is not null) into out[offset..].
   * `maskKeys` must hold 4 × frameCount bytes. Returns the number of bytes written (= encodedLength).
   */
  encodeMessage(
    payload: Uint8Array,
    opcode: number,
    rsv1: boolean,
    threshold: number,
    maskKeys: Uint8Array | null,
    out: Uint8Array,
    offset: number,
  ): number

  // ---- close frames (§5.5.1, §7.4) ----
  /** 1000–1003, 1007–1014, 3000–4999 are valid on the wire; everything else (1004–1006, 1015, 0–999, 1016–2999, ≥ 5000) is not. */
  isValidCloseCode(code: number): boolean
  /** Close payload: 2-byte big-endian code followed by the UTF-8 reason. Throws RangeError when code is not valid or the payload would exceed 125 bytes. */
  encodeClosePayload(code: number, reason: string): Uint8Array
  /**
   * Decode a close payload (already unmasked). Returns { code, reason }: an empty payload gives code 1005
   * and reason ''. Returns an ErrorCode number instead (InvalidClosePayload, InvalidCloseCode, InvalidUtf8)
   * when it is not acceptable.
   */
  decodeClosePayload(payload: Uint8Array): { code: number; reason: string } | ErrorCode
}
