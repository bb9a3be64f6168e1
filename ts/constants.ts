/**
 * Close codes (RFC 6455 §7.4.1) and the texts WebSocket-Node uses for them, plus the connection states.
 * The names and strings are WebSocket-Node's, so code written against `connection.CLOSE_REASON_*` keeps working.
 */

export const CLOSE_REASON_NORMAL = 1000
export const CLOSE_REASON_GOING_AWAY = 1001
export const CLOSE_REASON_PROTOCOL_ERROR = 1002
export const CLOSE_REASON_UNPROCESSABLE_INPUT = 1003
export const CLOSE_REASON_RESERVED = 1004
export const CLOSE_REASON_NOT_PROVIDED = 1005
export const CLOSE_REASON_ABNORMAL = 1006
export const CLOSE_REASON_INVALID_DATA = 1007
export const CLOSE_REASON_POLICY_VIOLATION = 1008
export const CLOSE_REASON_MESSAGE_TOO_BIG = 1009
export const CLOSE_REASON_EXTENSION_REQUIRED = 1010
export const CLOSE_REASON_INTERNAL_SERVER_ERROR = 1011
export const CLOSE_REASON_TLS_HANDSHAKE_FAILED = 1015

/** Default descriptions per close code, exactly WebSocket-Node's table (no entries for 1012–1014). */
export const CLOSE_DESCRIPTIONS: Readonly<Record<number, string>> = Object.freeze({
  1000: 'Normal connection closure',
  1001: 'Remote peer is going away',
  1002: 'Protocol error',
  1003: 'Unprocessable input',
  1004: 'Reserved',
  1005: 'Reason not provided',
  1006: 'Abnormal closure, no further detail available',
  1007: 'Invalid data received',
  1008: 'Policy violation',
  1009: 'Message too big',
  1010: 'Extension requested by client is required',
  1011: 'Internal Server Error',
  1015: 'TLS Handshake Failed',
})

/** Connection states, WebSocket-Node's strings. */
export const STATE_OPEN = 'open'
export const STATE_PEER_REQUESTED_CLOSE = 'peer_requested_close'
export const STATE_ENDING = 'ending'
export const STATE_CLOSED = 'closed'
/** One of the `STATE_*` strings. */
export type ConnectionState =
  | typeof STATE_OPEN
  | typeof STATE_PEER_REQUESTED_CLOSE
  | typeof STATE_ENDING
  | typeof STATE_CLOSED

/** Close texts used by the connection (WebSocket-Node's wording where it had one). */
export const TEXT_PEER_NOT_RESPONDING = 'Peer not responding.'
export const TEXT_DROPPED_BY_PEER = 'Connection dropped by remote peer.'
export const TEXT_LOST_BEFORE_HANDSHAKE = 'TCP connection lost before handshake completed.'
export const TEXT_TOO_MANY_PONGS = 'Peer is not reading: too many automatic pongs queued.'
export const TEXT_OUTPUT_BUFFER_FULL = 'Output buffer size limit exceeded.'
/** Close reason (1007) for text that is not UTF-8 (§8.1), whichever step found it. */
export const TEXT_INVALID_UTF8 = 'Invalid UTF-8 Data Received'
