/**
 * Protocol errors of the codec (mirror of `ferrosocket-core/src/error.rs`): the numeric `ErrorCode` shared with
 * Rust, its stable string code and the close code the connection must send (RFC 6455 §7.4.1).
 */
import { ERROR_TABLE, ErrorCode } from '../types.js'

export { ERROR_TABLE, ErrorCode }

/** Stable string code of an `ErrorCode` (`FERROSOCKET_ERR_…`). */
export function errorName(code: number): string {
  const entry = ERROR_TABLE[code]
  return entry === undefined ? 'FERROSOCKET_ERR_UNKNOWN' : entry[0]
}

/** Close code to send for an `ErrorCode` (1002 protocol error, 1007 bad UTF-8, 1008 policy, 1009 too big). */
export function closeCodeOf(code: number): number {
  const entry = ERROR_TABLE[code]
  return entry === undefined ? 1002 : entry[1]
}

/** An Error carrying a protocol `ErrorCode`, its stable string `code` and the `closeCode` to send. */
export class ProtocolError extends Error {
  /** Stable string code, e.g. `FERROSOCKET_ERR_INVALID_UTF8`. */
  readonly code: string
  /** Close code the endpoint must send (§7.4.1). */
  readonly closeCode: number
  /** Numeric `ErrorCode`, as returned by `parseFrames` in `S_ERROR`. */
  readonly errorCode: ErrorCode

  constructor(errorCode: ErrorCode, message: string) {
    super(message)
    this.name = 'ProtocolError'
    this.errorCode = errorCode
    this.code = errorName(errorCode)
    this.closeCode = closeCodeOf(errorCode)
  }
}

/** The one factory for protocol errors: `protocolError(ErrorCode.InvalidUtf8, 'Invalid UTF-8 in text frame')`. */
export function protocolError(errorCode: ErrorCode, message?: string): ProtocolError {
  return new ProtocolError(errorCode, message ?? errorName(errorCode))
}
