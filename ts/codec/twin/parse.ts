/**
 * Batch frame parsing (RFC 6455 §5.2–§5.5), mirror of `ferrosocket-core/src/parse.rs`. One call handles every
 * complete frame of a socket chunk: header checks in the contract's order, message sequencing, in-place
 * unmasking, UTF-8 and close-payload validation, and a numeric descriptor per frame. See `Codec.parseFrames`.
 */
import {
  D_BITS,
  D_MASK_KEY,
  D_PAYLOAD_LENGTH,
  D_PAYLOAD_OFFSET,
  ErrorCode,
  FRAME_STRIDE,
  PARSE_ALLOW_RSV1,
  PARSE_EXPECT_MASKED,
  S_CONSUMED,
  S_ERROR,
  S_FRAGMENTS,
  S_MESSAGE_BYTES,
  S_MESSAGE_OPCODE,
  S_NEED,
  S_PENDING,
  S_UTF8,
  type ParseOptions,
  D_TEXT_UNCHECKED,
  PARSE_DEFER_TEXT,
} from '../types.js'
import { closePayloadStatus } from './close.js'
import { xorRange } from './mask.js'
import { utf8StreamRange } from './utf8.js'

const TWO_32 = 0x1_0000_0000

/** Checks 1–6 of the contract on the first two header bytes. */
function checkFirstBytes(b0: number, b1: number, flags: number, messageOpcode: number): ErrorCode {
  const opcode = b0 & 0x0f
  // 1: RSV2/RSV3 never; RSV1 only with a negotiated extension, and only on text/binary frames (§5.2, RFC 7692 §6).
  if ((b0 & 0x30) !== 0) return ErrorCode.ReservedBitsSet
  if ((b0 & 0x40) !== 0 && ((flags & PARSE_ALLOW_RSV1) === 0 || (opcode !== 1 && opcode !== 2))) {
    return ErrorCode.ReservedBitsSet
  }
  // 2: 0x3–0x7 and 0xB–0xF are reserved (§5.2).
  if ((opcode > 2 && opcode < 8) || opcode > 10) return ErrorCode.ReservedOpcode
  const control = opcode >= 8
  // 3: control frames must not be fragmented (§5.5).
  if (control && (b0 & 0x80) === 0) return ErrorCode.FragmentedControlFrame
  // 4: control payloads are at most 125 bytes (§5.5).
  if (control && (b1 & 0x7f) > 125) return ErrorCode.ControlFrameTooBig
  // 5: clients mask, servers do not (§5.1).
  if ((flags & PARSE_EXPECT_MASKED) !== 0) {
    if ((b1 & 0x80) === 0) return ErrorCode.UnmaskedClientFrame
  } else if ((b1 & 0x80) !== 0) return ErrorCode.MaskedServerFrame
  // 6: message sequencing (§5.4).
  if (opcode === 0) {
    if (messageOpcode === 0) return ErrorCode.UnexpectedContinuation
  } else if (!control && messageOpcode !== 0) return ErrorCode.ExpectedContinuation
  return ErrorCode.None
}

function writeDescriptor(out: Float64Array, index: number, bits: number, offset: number, length: number, key: number): void {
  const d = index * FRAME_STRIDE
  out[d + D_BITS] = bits
  out[d + D_PAYLOAD_OFFSET] = offset
  out[d + D_PAYLOAD_LENGTH] = length
  out[d + D_MASK_KEY] = key
}

/** Header length announced by the second header byte. */
function headerLength(b1: number): number {
  const len7 = b1 & 0x7f
  return 2 + (len7 < 126 ? 0 : len7 === 126 ? 2 : 8) + ((b1 & 0x80) !== 0 ? 4 : 0)
}

function stop(state: Float64Array, consumed: number, need: number, pending: number, error: number): void {
  state[S_CONSUMED] = consumed
  state[S_NEED] = need
  state[S_PENDING] = pending
  state[S_ERROR] = error
}

/** `Codec.parseFrames`. Arguments are validated by the caller. Returns the number of complete frames. */
export function parseFrames(
  buf: Uint8Array,
  start: number,
  end: number,
  opts: ParseOptions,
  state: Float64Array,
  out: Float64Array,
): number {
  const flags = opts.flags
  const capacity = Math.floor(out.length / FRAME_STRIDE)
  let messageOpcode = state[S_MESSAGE_OPCODE]!
  let messageBytes = state[S_MESSAGE_BYTES]!
  let utf8 = state[S_UTF8]!
  let fragments = state[S_FRAGMENTS]!
  let count = 0
  let pos = start
  let need = 0
  let pending = 0
  let error: number = ErrorCode.None

  for (;;) {
    const avail = end - pos
    if (avail === 0) break
    const b0 = buf[pos]!
    if (count === capacity) {
      // No room for another descriptor: the caller drains `out` and calls again from S_CONSUMED.
      need = avail === 1 ? 2 : headerLength(buf[pos + 1]!)
      break
    }
    if (avail === 1) {
      // Like the Rust core, no verdict before the second byte (it holds the mask bit and the length).
      need = 2
      break
    }
    const b1 = buf[pos + 1]!
    const opcode = b0 & 0x0f
    const masked = (b1 & 0x80) !== 0
    const len7 = b1 & 0x7f
    const extBytes = len7 < 126 ? 0 : len7 === 126 ? 2 : 8
    const headerLen = 2 + extBytes + (masked ? 4 : 0)
    error = checkFirstBytes(b0, b1, flags, messageOpcode)
    if (error !== ErrorCode.None) break
    if (avail < 2 + extBytes) {
      need = headerLen
      break
    }
    let length = len7
    if (extBytes === 2) {
      length = (buf[pos + 2]! << 8) | buf[pos + 3]!
    } else if (extBytes === 8) {
      const hi = ((buf[pos + 2]! << 24) | (buf[pos + 3]! << 16) | (buf[pos + 4]! << 8) | buf[pos + 5]!) >>> 0
      // 7: the most significant bit must be 0 (§5.2); lengths ≥ 2^53 are not exact in a JS number.
      if (hi >= 0x8000_0000) {
        error = ErrorCode.InvalidLength
        break
      }
      if (hi >= 0x20_0000) {
        error = ErrorCode.UnsupportedLength
        break
      }
      const lo = ((buf[pos + 6]! << 24) | (buf[pos + 7]! << 16) | (buf[pos + 8]! << 8) | buf[pos + 9]!) >>> 0
      length = hi * TWO_32 + lo
    }
    // 8–10: limits from the header alone, before any payload byte is buffered or looked at.
    const control = opcode >= 8
    const nextBytes = messageBytes + length
    const nextFragments = fragments + 1
    if (length > opts.maxFrameSize) {
      error = ErrorCode.FrameTooBig
      break
    }
    if (!control) {
      if (nextBytes > opts.maxMessageSize) {
        error = ErrorCode.MessageTooBig
        break
      }
      if (opts.maxFragments > 0 && nextFragments > opts.maxFragments) {
        error = ErrorCode.TooManyFragments
        break
      }
    }
    if (avail < headerLen) {
      need = headerLen
      break
    }
    let maskKey = 0
    const k = pos + 2 + extBytes
    if (masked) maskKey = ((buf[k]! << 24) | (buf[k + 1]! << 16) | (buf[k + 2]! << 8) | buf[k + 3]!) >>> 0
    const payloadStart = pos + headerLen
    const fin = (b0 & 0x80) !== 0
    const bits = b0 | (masked ? 0x100 : 0)
    // Opcode of the message this data frame belongs to (| 0x40 when compressed: not UTF-8 validated here).
    const op = opcode === 0 ? messageOpcode : opcode | (b0 & 0x40)

    if (end - payloadStart < length) {
      // Pending: header accepted, payload still arriving; the caller unmasks/validates it as it comes.
      writeDescriptor(out, count, bits, payloadStart, length, maskKey)
      if (!control) {
        messageOpcode = op
        messageBytes = nextBytes
        fragments = nextFragments
      }
      pending = 1
      need = length - (end - payloadStart)
      pos = payloadStart
      break
    }

    const payloadEnd = payloadStart + length
    let descBits = bits
    if (masked && length > 0) {
      xorRange(buf, payloadStart, payloadEnd, maskKey >>> 24, (maskKey >>> 16) & 0xff, (maskKey >>> 8) & 0xff, maskKey & 0xff)
    }
    if (control) {
      if (opcode === 8) {
        error = closePayloadStatus(buf, payloadStart, payloadEnd)
        if (error !== ErrorCode.None) break
      }
    } else {
      let nextUtf8 = utf8
      if (op === 1 && (opts.flags & PARSE_DEFER_TEXT) !== 0) {
        // The caller validates it once: a whole message in one frame as it decodes it, a fragment as it appends it
        // to the message (`textAppend`).
        descBits = bits | D_TEXT_UNCHECKED
      } else if (op === 1) {
        nextUtf8 = utf8StreamRange(utf8, buf, payloadStart, payloadEnd, fin)
        if (nextUtf8 === -1) {
          error = ErrorCode.InvalidUtf8
          break
        }
      }
      if (fin) {
        messageOpcode = 0
        messageBytes = 0
        fragments = 0
        utf8 = 0
      } else {
        messageOpcode = op
        messageBytes = nextBytes
        fragments = nextFragments
        utf8 = nextUtf8
      }
    }
    writeDescriptor(out, count, descBits, payloadStart, length, maskKey)
    count++
    pos = payloadEnd
  }

  stop(state, pos, need, pending, error)
  state[S_MESSAGE_OPCODE] = messageOpcode
  state[S_MESSAGE_BYTES] = messageBytes
  state[S_UTF8] = utf8
  state[S_FRAGMENTS] = fragments
  return count
}
