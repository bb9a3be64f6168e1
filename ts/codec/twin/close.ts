/**
 * Close frames (RFC 6455 §5.5.1, §7.4), mirror of `ferrosocket-core/src/close.rs`.
 */
import { Buffer } from 'node:buffer'
import { ErrorCode } from '../types.js'
import { isValidUtf8 } from './utf8.js'

/** 1000–1003, 1007–1014 (§7.4.1 and the IANA registry) and 3000–4999 (§7.4.2) may appear on the wire. 1004–1006
 * and 1015 are reserved for local use and must never be sent or accepted. */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

/**
 * Status of a close payload (already unmasked): `ErrorCode.None`, or `InvalidClosePayload` (1 byte, §5.5.1),
 * `InvalidCloseCode` (§7.4), `InvalidUtf8` (reason, §8.1) — checked in that order. Used by `parseFrames` on
 * buf[start..end) and by `decodeClosePayload`.
 */
export function closePayloadStatus(buf: Uint8Array, start: number, end: number): ErrorCode {
  const n = end - start
  if (n === 0) return ErrorCode.None
  if (n === 1) return ErrorCode.InvalidClosePayload
  if (!isValidCloseCode((buf[start]! << 8) | buf[start + 1]!)) return ErrorCode.InvalidCloseCode
  if (n > 2 && !isValidUtf8(buf.subarray(start + 2, end))) return ErrorCode.InvalidUtf8
  return ErrorCode.None
}

/** 2-byte big-endian code + UTF-8 reason. The caller has checked the code and the 125-byte limit. */
export function encodeClosePayload(code: number, reason: string): Uint8Array {
  const out = Buffer.allocUnsafe(2 + Buffer.byteLength(reason, 'utf8'))
  out[0] = code >>> 8
  out[1] = code & 0xff
  out.write(reason, 2, 'utf8')
  return out
}

/** `{ code, reason }` of a close payload (empty → 1005, ''), or the `ErrorCode` that makes it unacceptable. */
export function decodeClosePayload(payload: Uint8Array): { code: number; reason: string } | ErrorCode {
  const status = closePayloadStatus(payload, 0, payload.length)
  if (status !== ErrorCode.None) return status
  if (payload.length === 0) return { code: 1005, reason: '' }
  const code = (payload[0]! << 8) | payload[1]!
  const reason = Buffer.from(payload.buffer, payload.byteOffset + 2, payload.length - 2).toString('utf8')
  return { code, reason }
}
