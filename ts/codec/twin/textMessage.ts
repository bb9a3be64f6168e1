/**
 * A text message received in pieces, mirror of `ferrosocket-core/src/text_message.rs`: each piece is copied
 * (unmasked) into the message's own buffer and validated there as a continuation of the pieces before it
 * (`utf8StreamRange`, the cut code point carried over), so it fails on the same piece as the native backend. The
 * buffer grows as the Rust one does: with the bytes that arrive, towards a frame's declared end, never past it.
 */
import { Buffer } from 'node:buffer'
import type { TextMessage } from '../types.js'
import { xorRange } from './mask.js'
import { utf8StreamRange } from './utf8.js'

/** First capacity for a frame still arriving (`FIRST_CAPACITY` in Rust). */
const FIRST_CAPACITY = 64 * 1024
/** First capacity for a fragment of a message whose length is not known yet. */
const MIN_CAPACITY = 1024
/** Bytes kept allocated between messages (`KEEP` in the binding). */
const KEEP = 1024
const EMPTY = Buffer.alloc(0)
/** `state` of a failed message. */
const FAILED = -1

class TwinTextMessage {
  bytes: Buffer = EMPTY
  length = 0
  state = 0
  complete = false

  clear(keep: number): void {
    if (this.bytes.length > keep) this.bytes = EMPTY
    this.length = 0
    this.state = 0
    this.complete = false
  }
}

function held(message: TextMessage): TwinTextMessage {
  if (!(message instanceof TwinTextMessage)) {
    const err = new TypeError('The "message" argument must be a text message made by textCreate()')
    ;(err as NodeJS.ErrnoException).code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  return message
}

/** `Codec.textCreate`. */
export function textCreate(): TextMessage {
  return new TwinTextMessage() as unknown as TextMessage
}

/** `Codec.textAppend`. */
export function textAppend(message: TextMessage, source: Uint8Array, key: number, next: number): number {
  const m = held(message)
  if (m.state === FAILED || m.complete) {
    m.state = FAILED
    m.complete = false
    return -1
  }
  const at = m.length
  const n = source.length
  const need = at + n
  if (need > m.bytes.length) {
    const cap = m.bytes.length
    let target: number
    if (next === -1) target = need
    else if (next === 0) target = Math.max(2 * cap, MIN_CAPACITY, need)
    else target = Math.min(Math.max(2 * cap, FIRST_CAPACITY, need), need + next)
    const grown = Buffer.allocUnsafe(target)
    m.bytes.copy(grown, 0, 0, at)
    m.bytes = grown
  }
  const bytes = m.bytes
  bytes.set(source, at)
  if (key !== -1) xorRange(bytes, at, need, key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff)
  const final = next === -1
  const state = utf8StreamRange(m.state, bytes, at, need, final)
  if (state === -1) {
    m.state = FAILED
    return -1
  }
  m.state = state
  m.length = need
  m.complete = final
  return need
}

/** `Codec.textFinish`. */
export function textFinish(message: TextMessage, keepBytes: boolean): string {
  const m = held(message)
  if (!m.complete) {
    const err = new Error('The text message is not complete (or not valid)')
    ;(err as NodeJS.ErrnoException).code = 'ERR_INVALID_STATE'
    throw err
  }
  let ok = false
  try {
    const text = m.bytes.toString('utf8', 0, m.length)
    ok = true
    return text
  } finally {
    if (!keepBytes || !ok) m.clear(KEEP)
  }
}

/** `Codec.textTakeBytes`. */
export function textTakeBytes(message: TextMessage): Buffer {
  const m = held(message)
  const bytes = m.length === 0 ? EMPTY : m.bytes.subarray(0, m.length)
  m.bytes = EMPTY
  m.clear(0)
  return bytes
}

/** `Codec.textReset`. */
export function textReset(message: TextMessage): void {
  held(message).clear(0)
}
