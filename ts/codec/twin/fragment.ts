/**
 * Fragmentation and message encoding (RFC 6455 §5.4), mirror of `ferrosocket-core/src/fragment.rs`.
 * WebSocket-Node semantics: split only when length > threshold (0 = never), into frames of `threshold` bytes.
 */
import { encodeHeader, headerLength } from './header.js'
import { xorRange } from './mask.js'

/** Number of frames a payload is sent as. */
export function frameCount(payloadLength: number, threshold: number): number {
  return threshold > 0 && payloadLength > threshold ? Math.ceil(payloadLength / threshold) : 1
}

/** Total wire bytes (headers + payloads) of a message. */
export function encodedLength(payloadLength: number, threshold: number, masked: boolean): number {
  const frames = frameCount(payloadLength, threshold)
  if (frames === 1) return headerLength(payloadLength, masked) + payloadLength
  const last = payloadLength - (frames - 1) * threshold
  return (frames - 1) * headerLength(threshold, masked) + headerLength(last, masked) + payloadLength
}

/**
 * Write all frames of a message into out[offset..]: first frame `opcode` (+ RSV1), the rest continuation, FIN on
 * the last; payloads masked with consecutive 4-byte keys from `maskKeys` when given. Arguments are validated by
 * the caller (room in `out`, enough keys). Returns the bytes written.
 */
export function encodeMessage(
  payload: Uint8Array,
  opcode: number,
  rsv1: boolean,
  threshold: number,
  maskKeys: Uint8Array | null,
  out: Uint8Array,
  offset: number,
): number {
  const length = payload.length
  const frames = frameCount(length, threshold)
  const size = frames === 1 ? length : threshold
  let o = offset
  for (let f = 0, p = 0; f < frames; f++) {
    const n = f === frames - 1 ? length - p : size
    const bits = (f === frames - 1 ? 0x80 : 0) | (f === 0 ? (rsv1 ? 0x40 : 0) | opcode : 0)
    let maskKey = -1
    if (maskKeys !== null) {
      const k = f << 2
      maskKey = ((maskKeys[k]! << 24) | (maskKeys[k + 1]! << 16) | (maskKeys[k + 2]! << 8) | maskKeys[k + 3]!) >>> 0
    }
    o += encodeHeader(out, o, bits, n, maskKey)
    if (n > 0) {
      out.set(p === 0 && n === length ? payload : payload.subarray(p, p + n), o)
      if (maskKeys !== null) {
        const k = f << 2
        xorRange(out, o, o + n, maskKeys[k]!, maskKeys[k + 1]!, maskKeys[k + 2]!, maskKeys[k + 3]!)
      }
    }
    o += n
    p += n
  }
  return o - offset
}
