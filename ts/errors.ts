/**
 * Protocol errors: one factory turning a codec `ErrorCode` into an Error carrying a stable string code
 * (`FERROSOCKET_ERR_…`, from the shared ERROR_TABLE) and the close code to send, with WebSocket-Node's reason
 * texts where it had one (users grep for them, e.g. 'Frame size of N bytes exceeds maximum accepted frame size').
 */
import { ERROR_TABLE, ErrorCode } from './codec/types.js'
import { TEXT_INVALID_UTF8 } from './constants.js'

/** A protocol violation by the peer (or a configured limit it crossed). */
export interface ProtocolError extends Error {
  /** Stable string code, e.g. `'FERROSOCKET_ERR_FRAME_TOO_BIG'`. */
  code: string
  /** Close code sent to the peer (1002, 1007, 1008 or 1009). */
  closeCode: number
}

/** Details of the offending frame, read from its header (the bytes the codec stopped at). */
export interface ErrorDetail {
  /** The first header byte (FIN/RSV/opcode). */
  bits: number
  /** The declared payload length (may be a BigInt for 64-bit lengths ≥ 2^53). */
  length: number | bigint
}

function reasonFor(error: ErrorCode, detail: ErrorDetail): string {
  const opcode = detail.bits & 0x0f
  switch (error) {
    case ErrorCode.ReservedBitsSet:
      return 'Unsupported usage of rsv bits without negotiated extension.'
    case ErrorCode.ReservedOpcode:
      return `Unrecognized Opcode: 0x${opcode.toString(16)}`
    case ErrorCode.ControlFrameTooBig:
      return 'Illegal control frame longer than 125 bytes.'
    case ErrorCode.FragmentedControlFrame:
      return 'Control frames must not be fragmented.'
    case ErrorCode.UnmaskedClientFrame:
      return 'Received an unmasked frame from the client.'
    case ErrorCode.MaskedServerFrame:
      return 'Received a masked frame from the server.'
    case ErrorCode.InvalidLength:
      return 'Unsupported 64-bit length frame received'
    case ErrorCode.FrameTooBig:
    case ErrorCode.UnsupportedLength:
      return `Frame size of ${detail.length} bytes exceeds maximum accepted frame size`
    case ErrorCode.MessageTooBig:
      return 'Maximum message size exceeded.'
    case ErrorCode.UnexpectedContinuation:
      return 'Unexpected Continuation Frame'
    case ErrorCode.ExpectedContinuation:
      return `Illegal frame opcode 0x${opcode.toString(16)} received in middle of fragmented message.`
    case ErrorCode.InvalidUtf8:
      return TEXT_INVALID_UTF8
    case ErrorCode.InvalidCloseCode:
      return 'Invalid close code received.'
    case ErrorCode.InvalidClosePayload:
      return 'Invalid close frame payload length of 1 byte.'
    case ErrorCode.TooManyFragments:
      return 'Maximum number of message fragments exceeded.'
    default:
      return 'Protocol error'
  }
}

/** Builds the Error for codec error `error` (an `ErrorCode` other than None). */
export function protocolError(error: ErrorCode, detail: ErrorDetail): ProtocolError {
  const row = ERROR_TABLE[error] ?? ['FERROSOCKET_ERR_PROTOCOL', 1002]
  const err = new Error(reasonFor(error, detail)) as ProtocolError
  err.code = row[0]
  err.closeCode = row[1]
  return err
}

/**
 * Reads bits and declared length of the frame header starting at buf[at] (at least 2 bytes present; the
 * extended length is read when present, else reported as the 7-bit value).
 */
export function headerDetail(buf: Uint8Array, at: number, end: number): ErrorDetail {
  const bits = buf[at] ?? 0
  const len7 = (buf[at + 1] ?? 0) & 0x7f
  let length: number | bigint = len7
  if (len7 === 126 && end - at >= 4) length = ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0)
  else if (len7 === 127 && end - at >= 10) {
    let v = 0n
    for (let i = 2; i < 10; i++) v = (v << 8n) | BigInt(buf[at + i] ?? 0)
    length = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  return { bits, length }
}

/**
 * Whether `err` is the failure to create a string above V8's maximum length: Node's `ERR_STRING_TOO_LONG` (twin,
 * Buffer#toString) or the addon's RangeError with the same code.
 */
export function isStringTooLong(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'ERR_STRING_TOO_LONG'
}
