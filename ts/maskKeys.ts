/**
 * Mask keys for outgoing client frames (RFC 6455 §5.3: "MUST be derived from a strong source of entropy").
 * WebSocket-Node used Math.random() (cf. gorilla GHSA-w67g-5rqw-f597); we take them from a pool refilled with
 * crypto.randomFillSync, so one syscall serves 2048 keys.
 */
import { Buffer } from 'node:buffer'
import { randomFillSync } from 'node:crypto'

const POOL_SIZE = 8192
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

/**
 * Returns `count` fresh 4-byte keys (4 × count random bytes). The bytes are a view on a pool that is
 * overwritten later: copy them (the encoder does) before the next call.
 */
export function takeMaskKeys(count: number): Buffer {
  const bytes = count * 4
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(bytes))
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const keys = pool.subarray(offset, offset + bytes)
  offset += bytes
  return keys
}

/** One fresh key as an unsigned 32-bit big-endian number (the codec's `maskKey` form). */
export function takeMaskKey(): number {
  if (offset + 4 > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const key = pool.readUInt32BE(offset)
  offset += 4
  return key
}
