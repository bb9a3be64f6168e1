/**
 * Text messages between bytes and strings (issue 7). `utf8Data` must be a string (WebSocket-Node's API), so every
 * text message is decoded once; `sendUTF(message.utf8Data)` — echo and relay, the commonest server code — would
 * encode the same string straight back. While a text message is being delivered, its string and its (validated,
 * unmasked) bytes are remembered here, and a send of that very string reuses the bytes instead of encoding.
 */
import type { EventEmitter } from 'node:events'
import { codec } from '../codec/index.js'

/** Below this many bytes encoding is cheaper than the bookkeeping. */
const RECENT_MIN = 1024

let recentText: string | null = null
let recentBytes: Buffer | null = null

/** The string of a complete, validated text message. Throws above V8's maximum string length. */
export function decodeText(data: Buffer): string {
  return codec.decodeUtf8(data)
}

/** Emits `message` for a text message whose string is `text` and whose UTF-8 bytes are `data`. */
export function emitText(emitter: EventEmitter, message: object, text: string, data: Buffer): void {
  if (data.length < RECENT_MIN) {
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
