/**
 * The send path: message → wire bytes → socket, with as few writes and copies as the size allows.
 * Small messages (≤ COPY_LIMIT) and every masked message go out as one buffer (one socket.write, one syscall);
 * big unmasked payloads are written as header + payload views inside cork/uncork (one writev, no payload copy).
 * Fragmentation follows WebSocket-Node: split only when length > threshold.
 */
import type { Socket } from 'node:net'
import { codec } from './codec/index.js'
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

function headerLength(length: number, masked: boolean): number {
  return 2 + (length < 126 ? 0 : length < 0x10000 ? 2 : 8) + (masked ? 4 : 0)
}

/** One complete frame (FIN set) in one new buffer; control frames and close replies use it. */
export function encodeFrame(opcode: number, payload: Uint8Array, masked: boolean): Buffer {
  const out = Buffer.allocUnsafe(headerLength(payload.length, masked) + payload.length)
  codec.encodeMessage(payload, opcode, false, 0, masked ? takeMaskKeys(1) : null, out, 0)
  return out
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
 * Writes a data message (opcode 1 or 2), fragmented per `threshold` (0 = never); `rsv1` marks a compressed
 * message (RFC 7692 §6.1: on the first frame only). `cb` runs once, after the
 * last fragment (or with the first error). Returns false when the socket's buffer is above its high-water mark.
 */
export function writeMessage(
  socket: Socket,
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
    const out = Buffer.allocUnsafe(codec.encodedLength(len, frames > 1 ? threshold : 0, masked))
    const keys = masked ? takeMaskKeys(frames) : null
    codec.encodeMessage(payload, opcode, rsv1, frames > 1 ? threshold : 0, keys, out, 0)
    return socket.write(out, cb)
  }
  const headers = Buffer.allocUnsafe(frames * 10)
  socket.cork()
  for (let i = 0; i < frames; i++) {
    const start = i * threshold
    const last = i === frames - 1
    const flen = frames === 1 ? len : last ? len - start : threshold
    const bits = (last ? 0x80 : 0) | (i === 0 ? opcode | (rsv1 ? 0x40 : 0) : 0)
    const n = codec.encodeHeader(headers, i * 10, bits, flen, -1)
    socket.write(headers.subarray(i * 10, i * 10 + n))
    socket.write(frames === 1 ? payload : payload.subarray(start, start + flen), last ? cb : undefined)
  }
  socket.uncork()
  return socket.writableLength < socket.writableHighWaterMark
}

/**
 * Writes a text message: the string of the message being delivered goes out as the bytes it arrived as
 * (`recentUtf8`: no encoding at all); short strings are encoded straight into the frame buffer, longer ones through
 * the shared scratch (`encodeToScratch`) and copied into it.
 */
export function writeText(
  socket: Socket,
  text: string,
  masked: boolean,
  threshold: number,
  cb: ((err?: Error | null) => void) | undefined,
): boolean {
  const recent = recentUtf8(text)
  if (recent !== null) return writeMessage(socket, 1, recent, masked, threshold, cb, false, true)
  if (text.length < SCRATCH_MIN) {
    const len = Buffer.byteLength(text, 'utf8')
    if (threshold <= 0 || len <= threshold) {
      const hl = headerLength(len, masked)
      const out = Buffer.allocUnsafe(hl + len)
      codec.encodeHeader(out, 0, 0x81, len, masked ? takeMaskKey() : -1)
      // byteLength and write agree (lone surrogates become U+FFFD, 3 bytes, in both), so every byte is set.
      // byteLength = length only for ASCII, whose latin1 bytes are its UTF-8 bytes: latin1 skips the encoder.
      if (out.write(text, hl, len === text.length ? 'latin1' : 'utf8') === len) {
        if (masked && len > 0) codec.unmask(out.subarray(hl), out.subarray(hl - 4, hl))
        return socket.write(out, cb)
      }
    }
  }
  const bytes = encodeToScratch(text)
  // The scratch is reused by the next encode: writeMessage must copy it now (it does for masked frames and up to
  // COPY_LIMIT bytes); a longer unmasked payload is written by reference, so it gets a Buffer of its own.
  if (bytes !== null && (masked || bytes.length <= COPY_LIMIT)) return writeMessage(socket, 1, bytes, masked, threshold, cb)
  const own = bytes === null ? Buffer.from(text, 'utf8') : Buffer.from(bytes)
  return writeMessage(socket, 1, own, masked, threshold, cb, false, true)
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
