/**
 * UTF-8 validation (RFC 6455 §8.1, Unicode Table 3-7 well-formed sequences), mirror of
 * `ferrosocket-core/src/utf8.rs`.
 *
 * Whole payloads above a few bytes go to Node's `buffer.isUtf8` (simdutf: ~17 GB/s mixed text, ~70 GB/s ASCII
 * on the reference machine, ~30 ns per call); tiny ones and the streaming edges (the code point carried over
 * from the previous fragment, the incomplete one at the end) go through the JS scanner below, which fails at
 * the first byte that can never become valid (overlongs, surrogates, > U+10FFFF, stray continuations).
 */
import { isUtf8 } from 'node:buffer'

/** Below this length the JS scanner beats a call to `isUtf8` (ws uses the same 24: `isUtf8`'s call overhead outweighs its SIMD below that). */
const ISUTF8_MIN = 24

/**
 * Scan buf[i..end). Returns `end` when it holds only complete, valid code points; the index where a valid but
 * incomplete code point starts (it runs to `end`); or -1 at the first byte that cannot be part of valid UTF-8.
 */
export function scanUtf8(buf: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!
    if (b < 0x80) {
      i++
      continue
    }
    if (b < 0xc2) return -1 // continuation without a lead, or C0/C1 (always overlong)
    if (b < 0xe0) {
      if (i + 1 >= end) return i
      if ((buf[i + 1]! & 0xc0) !== 0x80) return -1
      i += 2
      continue
    }
    if (b < 0xf0) {
      if (i + 1 >= end) return i
      const c1 = buf[i + 1]!
      // E0 needs A0..BF (no overlongs), ED needs 80..9F (no UTF-16 surrogates D800..DFFF).
      if (b === 0xe0 ? c1 < 0xa0 || c1 > 0xbf : b === 0xed ? c1 < 0x80 || c1 > 0x9f : (c1 & 0xc0) !== 0x80) return -1
      if (i + 2 >= end) return i
      if ((buf[i + 2]! & 0xc0) !== 0x80) return -1
      i += 3
      continue
    }
    if (b < 0xf5) {
      if (i + 1 >= end) return i
      const c1 = buf[i + 1]!
      // F0 needs 90..BF (no overlongs), F4 needs 80..8F (nothing above U+10FFFF).
      if (b === 0xf0 ? c1 < 0x90 || c1 > 0xbf : b === 0xf4 ? c1 < 0x80 || c1 > 0x8f : (c1 & 0xc0) !== 0x80) return -1
      if (i + 2 >= end) return i
      if ((buf[i + 2]! & 0xc0) !== 0x80) return -1
      if (i + 3 >= end) return i
      if ((buf[i + 3]! & 0xc0) !== 0x80) return -1
      i += 4
      continue
    }
    return -1 // F5..FF never appear in UTF-8
  }
  return end
}

/** Sequence length announced by a lead byte that `scanUtf8` accepted (C2..F4). */
function sequenceLength(lead: number): number {
  return lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4
}

/** Start of the code point cut by `end` (scanning back at most 3 bytes, not before `from`), or `end`. */
function incompleteTailStart(buf: Uint8Array, from: number, end: number): number {
  const max = Math.min(3, end - from)
  for (let k = 1; k <= max; k++) {
    const b = buf[end - k]!
    if ((b & 0xc0) === 0x80) continue
    if (b >= 0xc0 && (b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4) > k) return end - k
    return end
  }
  return end
}

/** Validate buf[start..end) where complete code points are expected: isUtf8 for large ranges, else the scanner. */
function validRange(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < ISUTF8_MIN) return scanUtf8(buf, start, end) === end
  return isUtf8(start === 0 && end === buf.length ? buf : buf.subarray(start, end))
}

/** Whole-buffer validation. */
export function isValidUtf8(buffer: Uint8Array): boolean {
  if (buffer.length < ISUTF8_MIN) return scanUtf8(buffer, 0, buffer.length) === buffer.length
  return isUtf8(buffer)
}

/** Encode buf[p..end) (1..3 bytes, a valid incomplete prefix) as a stream state. */
function carryState(buf: Uint8Array, p: number, end: number): number {
  const n = end - p
  return (n << 24) | (buf[p]! << 16) | (n > 1 ? buf[p + 1]! << 8 : 0) | (n > 2 ? buf[p + 2]! : 0)
}

const carry = new Uint8Array(4)

/**
 * Streaming validation over buf[start..end) (see `Codec.utf8Stream` for the state encoding). `parseFrames` calls
 * it on payload ranges; `utf8Stream` on whole buffers.
 */
export function utf8StreamRange(state: number, buf: Uint8Array, start: number, end: number, final: boolean): number {
  let i = start
  if (state !== 0) {
    // A state that is not a viable prefix can never complete (contract: E0 80, ED A0, F4 90, F5.., C0, C1 → -1).
    if (!isValidStreamState(state)) return -1
    // Complete the carried code point in a 4-byte scratch, so the scanner checks the carry and new bytes as one.
    const n = state >>> 24
    carry[0] = (state >>> 16) & 0xff
    carry[1] = (state >>> 8) & 0xff
    carry[2] = state & 0xff
    const need = sequenceLength(carry[0]!) - n
    const take = Math.min(need, end - start)
    for (let k = 0; k < take; k++) carry[n + k] = buf[start + k]!
    const r = scanUtf8(carry, 0, n + take)
    if (r === -1) return -1
    if (take < need) return final ? -1 : carryState(carry, 0, n + take)
    i = start + need
  }
  if (end - i < ISUTF8_MIN) {
    const r = scanUtf8(buf, i, end)
    if (r === -1) return -1
    if (r === end) return 0
    return final ? -1 : carryState(buf, r, end)
  }
  const tail = final ? end : incompleteTailStart(buf, i, end)
  if (!validRange(buf, i, tail)) return -1
  if (tail === end) return 0
  // The cut code point: the scanner returns `tail` for a valid prefix, -1 for one that can never complete.
  const r = scanUtf8(buf, tail, end)
  return r === -1 ? -1 : carryState(buf, tail, end)
}

/** `Codec.utf8Stream`: streaming validation of a whole buffer. */
export function utf8Stream(state: number, buffer: Uint8Array, final: boolean): number {
  return utf8StreamRange(state, buffer, 0, buffer.length, final)
}

/** True when `state` is 0 or a value `utf8Stream` can return other than -1 (a valid incomplete prefix). */
export function isValidStreamState(state: number): boolean {
  if (state === 0) return true
  if (!Number.isInteger(state) || state < 0 || state >= 4 << 24) return false
  const n = state >>> 24
  if (n < 1 || n > 3) return false
  carry[0] = (state >>> 16) & 0xff
  carry[1] = (state >>> 8) & 0xff
  carry[2] = state & 0xff
  // Unused bytes must be 0 and the carried bytes a valid prefix shorter than its sequence.
  for (let k = n; k < 3; k++) if (carry[k] !== 0) return false
  return scanUtf8(carry, 0, n) === 0 && sequenceLength(carry[0]!) > n
}

/** `Codec.decodeUtf8`: Node's own decoder (the reference the native backend must match). */
export function decodeUtf8(buffer: Uint8Array): string {
  return (Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.length)).toString('utf8')
}

/** `Codec.decodeText`: the string of a text message, or null when it is not valid UTF-8. */
export function decodeText(buffer: Uint8Array): string | null {
  return isValidUtf8(buffer) ? decodeUtf8(buffer) : null
}
