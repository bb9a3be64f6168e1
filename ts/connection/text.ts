/**
 * Text messages between bytes and strings (issue 7). `utf8Data` must be a string (WebSocket-Node's API), so every
 * text message is decoded once; `sendUTF(message.utf8Data)` — echo and relay, the commonest server code — would
 * encode the same string straight back. While a text message is being delivered, its string and its (validated,
 * unmasked) bytes are remembered here, and a send of that very string reuses the bytes instead of encoding.
 */
import { Buffer } from 'node:buffer'
import type { EventEmitter } from 'node:events'

/** Below this many bytes encoding is cheaper than the bookkeeping. */
export const RECENT_MIN = 1024

let recentText: string | null = null
let recentBytes: Buffer | null = null

/**
 * Emits `message` for a text message whose string is `text` and whose UTF-8 bytes are `data` (null: not kept, for
 * a message below RECENT_MIN bytes).
 */
export function emitText(emitter: EventEmitter, message: object, text: string, data: Buffer | null): void {
  if (data === null || data.length < RECENT_MIN) {
    emitter.emit('message', message)
    return
  }
  // Saved and restored: a listener may deliver another message synchronously (nested emit).
  const savedText = recentText
  const savedBytes = recentBytes
  recentText = text
  recentBytes = data
  try {
    emitter.emit('message', message)
  } finally {
    recentText = savedText
    recentBytes = savedBytes
  }
}

/** The UTF-8 bytes of the message being delivered when `text` is its string, else null. Never to be written to. */
export function recentUtf8(text: string): Buffer | null {
  return recentText !== null && text === recentText ? recentBytes : null
}

/**
 * From this many UTF-16 units, strings are encoded with `TextEncoder#encodeInto` into a shared scratch buffer and
 * copied out: ns per string, `Buffer.from` / byteLength + write / scratch (Node 20.20, dev VM): ASCII 1 KiB
 * 730 / 800 / 920, 8 KiB 4,670 / 4,940 / 1,610, 64 KiB 13,500 / 11,270 / 6,830; mixed-script 8 Ki units
 * 9,910 / 10,110 / 6,790, 64 Ki 73,040 / 72,440 / 46,890.
 */
export const SCRATCH_MIN = 2048
/** Up to this many units (the scratch is 3 bytes per unit, kept: 192 KiB); longer strings use Buffer.from. */
const SCRATCH_MAX = 64 * 1024

const encoder = new TextEncoder()
let scratch: Buffer | null = null

/**
 * The UTF-8 bytes of `text` in the shared scratch buffer — valid only until the next call, so callers copy them
 * synchronously — or null when `text` is too long for it. Lone surrogates become U+FFFD, as with Buffer.from.
 */
export function encodeToScratch(text: string): Buffer | null {
  if (text.length > SCRATCH_MAX) return null
  const need = text.length * 3
  if (scratch === null || scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, 16 * 1024))
  return scratch.subarray(0, encoder.encodeInto(text, scratch).written)
}

/** The UTF-8 bytes of `text` in a Buffer nobody else writes to (the delivered message's own, or a new one). */
export function utf8Bytes(text: string): Buffer {
  const recent = recentUtf8(text)
  if (recent !== null) return recent
  if (text.length >= SCRATCH_MIN) {
    const bytes = encodeToScratch(text)
    if (bytes === null) return Buffer.from(text, 'utf8')
    const out = Buffer.allocUnsafe(bytes.length)
    bytes.copy(out, 0)
    return out
  }
  return Buffer.from(text, 'utf8')
}
