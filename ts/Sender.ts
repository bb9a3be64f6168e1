/**
 * The send path: message → wire bytes → the connection's outbox (connection/outbox.ts, written to the socket once
 * per event-loop turn), with as few copies as the size allows. Small messages (≤ COPY_LIMIT) and every masked
 * message are encoded straight into the outbox buffer; big unmasked payloads are appended as header + payload
 * views (one writev, no payload copy). Fragmentation follows WebSocket-Node: split only when length > threshold.
 */
import { Buffer } from 'node:buffer'
import { codec } from './codec/index.js'
import { headerLength } from './codec/twin/header.js'
import type { Outbox } from './connection/outbox.js'
import { encodeToScratch, recentUtf8, SCRATCH_MIN } from './connection/text.js'
import { takeMaskKey, takeMaskKeys } from './maskKeys.js'

/** Up to this many payload bytes are copied next to the header rather than written separately. */
const COPY_LIMIT = 64 * 1024
/**
 * Payloads nobody else can write to (text encoded here, or a received message's bytes) are written as header +
 * payload from this size on, without the copy: a fresh 64 KiB frame buffer per message was a copy plus an
 * allocation that glibc's heap trimming turned into ~60 page faults per 64 KiB echo (perf stat, issue 7).
 */
const SHARE_MIN = 4096
const EMPTY = Buffer.alloc(0)

/** Appends one complete frame (FIN set): control frames and close frames. */
export function writeFrame(
  out: Outbox,
  opcode: number,
  payload: Uint8Array,
  masked: boolean,
  cb?: ((err?: Error | null) => void) | undefined,
): boolean {
  const at = out.reserve(headerLength(payload.length, masked) + payload.length)
  codec.encodeMessage(payload, opcode, false, 0, masked ? takeMaskKeys(1) : null, out.buf as Buffer, at)
  return out.appended(cb)
}

/**
 * The complete unmasked wire bytes of a data message, fragmented per `threshold` (0 = never) as `writeMessage`
 * does: what a server sends for it on every connection with that threshold (broadcast encodes it once).
 */
export function encodeUnmasked(opcode: number, payload: Uint8Array, threshold: number): Buffer {
  const frameSize = threshold > 0 && payload.length > threshold ? threshold : 0
  const out = Buffer.allocUnsafe(codec.encodedLength(payload.length, frameSize, false))
  codec.encodeMessage(payload, opcode, false, frameSize, null, out, 0)
  return out
}

/**
 * Appends a data message (opcode 1 or 2), fragmented per `threshold` (0 = never); `rsv1` marks a compressed
 * message (RFC 7692 §6.1: on the first frame only). `cb` runs once, after the
 * last fragment (or with the first error). Returns false when the bytes waiting are above the high-water mark.
 */
export function writeMessage(
  out: Outbox,
  opcode: number,
  payload: Buffer,
  masked: boolean,
  threshold: number,
  cb: ((err?: Error | null) => void) | undefined,
  rsv1 = false,
  immutable = false,
): boolean {
  const len = payload.length
  const frames = threshold > 0 && len > threshold ? Math.ceil(len / threshold) : 1
  if (masked || len <= (immutable ? SHARE_MIN : COPY_LIMIT)) {
    const frameSize = frames > 1 ? threshold : 0
    const at = out.reserve(codec.encodedLength(len, frameSize, masked))
    const keys = masked ? takeMaskKeys(frames) : null
    codec.encodeMessage(payload, opcode, rsv1, frameSize, keys, out.buf as Buffer, at)
    return out.appended(cb)
  }
  for (let i = 0; i < frames; i++) {
    const start = i * threshold
    const last = i === frames - 1
    const flen = frames === 1 ? len : last ? len - start : threshold
    const bits = (last ? 0x80 : 0) | (i === 0 ? opcode | (rsv1 ? 0x40 : 0) : 0)
    const at = out.reserve(headerLength(flen, false))
    codec.encodeHeader(out.buf as Buffer, at, bits, flen, -1)
    out.add(frames === 1 ? payload : payload.subarray(start, start + flen))
  }
  return out.appended(cb)
}

/**
 * Writes a text message: the string of the message being delivered goes out as the bytes it arrived as
 * (`recentUtf8`: no encoding at all); short strings are encoded straight into the frame buffer, longer ones through
 * the shared scratch (`encodeToScratch`) and copied into it.
 */
export function writeText(
  out: Outbox,
  text: string,
  masked: boolean,
  threshold: number,
  cb: ((err?: Error | null) => void) | undefined,
): boolean {
  const recent = recentUtf8(text)
  if (recent !== null) return writeMessage(out, 1, recent, masked, threshold, cb, false, true)
  const units = text.length
  if (!masked && units * 3 < 126 && (threshold <= 0 || units * 3 <= threshold)) {
    // A short server text (chat lines, JSON events): whatever its UTF-8 length, the header is 2 bytes, so the
    // string is encoded straight after it and the length byte set afterwards — no byteLength pass (fan-out loops
    // of sendUTF spend their time here).
    const at = out.reserve(2 + units * 3)
    const buf = out.buf as Buffer
    const len = buf.write(text, at + 2, units * 3, 'utf8')
    out.unreserve(units * 3 - len)
    buf[at] = 0x81
    buf[at + 1] = len
    return out.appended(cb)
  }
  if (units < SCRATCH_MIN) {
    const len = Buffer.byteLength(text, 'utf8')
    if (threshold <= 0 || len <= threshold) {
      const hl = headerLength(len, masked)
      const at = out.reserve(hl + len)
      const buf = out.buf as Buffer
      codec.encodeHeader(buf, at, 0x81, len, masked ? takeMaskKey() : -1)
      // byteLength and write agree (lone surrogates become U+FFFD, 3 bytes, in both), so every byte is set.
      // byteLength = length only for ASCII, whose latin1 bytes are its UTF-8 bytes: latin1 skips the encoder.
      if (buf.write(text, at + hl, len === text.length ? 'latin1' : 'utf8') === len) {
        if (masked && len > 0) codec.unmask(buf.subarray(at + hl, at + hl + len), buf.subarray(at + hl - 4, at + hl))
        return out.appended(cb)
      }
      out.unreserve(hl + len)
    }
  }
  const bytes = encodeToScratch(text)
  // The scratch is reused by the next encode: writeMessage must copy it now (it does for masked frames and up to
  // COPY_LIMIT bytes); a longer unmasked payload is kept by reference, so it gets a Buffer of its own.
  if (bytes !== null && (masked || bytes.length <= COPY_LIMIT)) return writeMessage(out, 1, bytes, masked, threshold, cb)
  const own = bytes === null ? Buffer.from(text, 'utf8') : Buffer.from(bytes)
  return writeMessage(out, 1, own, masked, threshold, cb, false, true)
}

/**
 * Control-frame payload from a user argument, as WebSocket-Node: falsy → empty, a Buffer as is, anything else
 * through toString() (so ping(50) sends "50", never 50 uninitialised bytes). Truncated to 125 bytes (§5.5; the
 * original cut at 124).
 */
export function controlPayload(data: unknown): Buffer {
  if (!data) return EMPTY
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(String(data), 'utf8')
  return buf.length > 125 ? buf.subarray(0, 125) : buf
}

/** `text` cut to at most `max` UTF-8 bytes at a code point boundary (close reasons: 123 bytes, §5.5). */
export function truncateUtf8(text: string, max: number): string {
  if (text.length * 3 <= max) return text
  const buf = Buffer.from(text, 'utf8')
  if (buf.length <= max) return text
  let end = max
  while (end > 0 && ((buf[end] as number) & 0xc0) === 0x80) end--
  return buf.toString('utf8', 0, end)
}
