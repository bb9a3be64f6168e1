/**
 * Protocol errors of the codec (mirror of `ferrosocket-core/src/error.rs`): the numeric `ErrorCode` shared with
 * Rust, its stable string code and the close code the connection must send (RFC 6455 §7.4.1). The Error objects
 * users see are built by the library's one factory, `protocolError` in `ts/errors.ts`.
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
