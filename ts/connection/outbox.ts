/**
 * Write coalescing (issue 14): every frame a connection sends during one event-loop turn is appended to its
 * outbox, and the outboxes of all connections that got something are written out once per turn, one write per
 * socket (one buffer, or one writev when large payloads are kept by reference). A `socket.write` per frame was a
 * system call per frame: on fan-out (a chat room relaying every message to every member) that was the cost every
 * library measured shared (benches/README.md, "Fan-out (issue 14)").
 *
 * When: in a single `setImmediate` for all connections, i.e. right after the poll phase that delivered the
 * messages which caused the sends. process.nextTick / queueMicrotask (a write after each I/O callback) were
 * measured too (benches/results/outbox-flush-timing.md): they coalesce one socket chunk's sends only, cost more
 * server CPU per round trip and lost 3.4x on broadcast, for a single connection's ping-pong that was faster in
 * some rounds. An outbox that reaches FLUSH_AT bytes is written at once, so a long loop of sends neither holds
 * much memory nor delays the first bytes.
 *
 * Guarantees kept: frames leave in call order (every frame of the connection goes through here, control frames
 * and close frames too); a send callback runs after its bytes were handed to the socket (it rides on the
 * socket write that carries them); `bytesWaitingToFlush`/`bufferedAmount` count the outbox; `outputBufferFull`
 * and `'drain'` as before (an outbox above the socket's high-water mark sets it, and `'drain'` follows when the
 * write took it all); before the socket is ended or destroyed the outbox is written (`flush`).
 */
import { Buffer } from 'node:buffer'
import type { Socket } from 'node:net'
import type { SendCallback } from './types.js'

/** An outbox holding this many bytes is written at once rather than at the end of the turn. */
const FLUSH_AT = 64 * 1024
/** Chunks up to this size are copied into the outbox buffer; larger ones are written by reference (writev). */
const COPY_MAX = 4096
/** Smallest outbox buffer (from Buffer's pool); it starts at what the connection sent in its last turn. */
const MIN_BUFFER = 256

/** What the outbox needs of its connection. */
export interface OutboxOwner {
  readonly socket: Socket
  outputBufferFull: boolean
  _onSocketDrain(): void
}

let dirty: Outbox[] = []
let spare: Outbox[] = []
let scheduled = false
/**
 * The connection whose received chunk is being handled (see `WebSocketConnection.handleSocketData`): its outbox is
 * written when the chunk is done, so its sends schedule no end-of-turn flush (a `setImmediate` per turn that found
 * nothing left to write cost ~0.4 µs per echoed 32 B message at 100 connections).
 */
let receiving: OutboxOwner | null = null

/** Marks `owner` as handling a received chunk; returns the previous one, for `endReceiving`. */
export function beginReceiving(owner: OutboxOwner): OutboxOwner | null {
  const previous = receiving
  receiving = owner
  return previous
}

/** The chunk is handled: `previous` (from beginReceiving) is current again, `outbox` is written. */
export function endReceiving(previous: OutboxOwner | null, outbox: Outbox | null): void {
  receiving = previous
  if (outbox !== null && outbox.pending > 0) outbox.flush()
}

function flushAll(): void {
  scheduled = false
  const list = dirty
  dirty = spare
  let i = 0
  try {
    for (; i < list.length; i++) {
      const outbox = list[i] as Outbox
      outbox.inList = false
      outbox.flush()
    }
  } finally {
    // flush runs no user code, but should a socket throw, the outboxes after it go out in the next turn.
    for (let j = i + 1; j < list.length; j++) {
      const outbox = list[j] as Outbox
      outbox.inList = false
      if (outbox.pending > 0) outbox.markDirty()
    }
    list.length = 0
    spare = list
  }
}

/** `'drain'` for an outputBufferFull the outbox alone caused (when the socket queued bytes, it emits its own). */
function emitDrain(owner: OutboxOwner): void {
  const socket = owner.socket
  if (owner.outputBufferFull && !socket.writableNeedDrain && socket.writable) owner._onSocketDrain()
}

function callAll(cbs: SendCallback[], err?: Error | null): void {
  for (const cb of cbs) cb(err)
}

export class Outbox {
  /** In the dirty list (a flush is scheduled). */
  inList = false
  /** Bytes appended and not yet written to the socket. */
  pending = 0
  /** The buffer frames are encoded into; bytes [start, end) are pending. */
  buf: Buffer | null = null
  private start = 0
  end = 0
  /** Pending pieces before the buffer's pending bytes (large payloads by reference, earlier buffer parts). */
  private chunks: Buffer[] | null = null
  private cbs: SendCallback[] | null = null
  /** Bytes that went through the buffer in the last flush (the next buffer's size). */
  private hint = 0
  /** Pending bytes kept by reference (not in the buffer). */
  private byRef = 0

  /**
   * The socket's queue when this turn's first frame was appended (or at the last flush): the socket only takes
   * bytes out of it between turns, so `pending + queued` bounds what waits without asking the stream each time.
   */
  queued = 0
  private readonly mark: number

  constructor(private readonly owner: OutboxOwner) {
    this.mark = owner.socket.writableHighWaterMark
  }

  /** Bytes sent and not yet taken by the kernel (this outbox and the socket's queue). */
  backlog(): number {
    return this.pending + (this.inList ? this.queued : this.owner.socket.writableLength)
  }

  /**
   * Reserves `n` bytes at the end of the outbox and returns their offset in `this.buf`, where the caller writes
   * them before anything else is appended. Call `appended()` after writing them.
   */
  reserve(n: number): number {
    let buf = this.buf
    const end = this.end
    if (buf === null || end + n > buf.length) {
      // Pending bytes of the old buffer move along, so they stay one contiguous piece; growth doubles.
      const live = end - this.start
      const next = Buffer.allocUnsafe(Math.max(live + n, live * 2, MIN_BUFFER, Math.min(this.hint, FLUSH_AT)))
      if (buf !== null && live > 0) buf.copy(next, 0, this.start, end)
      this.end = live
      this.start = 0
      this.buf = buf = next
    }
    const at = this.end
    this.end = at + n
    this.pending += n
    return at
  }

  /** Takes back the last `n` reserved bytes (nothing was appended after them). */
  unreserve(n: number): void {
    this.end -= n
    this.pending -= n
  }

  /** After the bytes of a `reserve` (or a `write`) are in place: schedules the flush; false above the mark. */
  appended(cb: SendCallback | undefined): boolean {
    if (cb !== undefined) (this.cbs ??= []).push(cb)
    if (this.pending >= FLUSH_AT) {
      this.flush()
    } else if (!this.inList) {
      // The receiving connection's outbox is written when its chunk is done (endReceiving).
      if (this.owner !== receiving) this.markDirty()
      else this.queued = this.owner.socket.writableLength
    }
    return this.pending + this.queued < this.mark
  }

  /** Appends `chunk` (copied when small, else kept by reference: the caller must not change it). */
  write(chunk: Buffer, cb?: SendCallback): boolean {
    this.add(chunk)
    return this.appended(cb)
  }

  /** `write` without the end-of-message bookkeeping: the parts of one message (see writeMessage). */
  add(chunk: Buffer): void {
    const n = chunk.length
    if (n <= COPY_MAX) {
      const at = this.reserve(n)
      ;(this.buf as Buffer).set(chunk, at)
    } else {
      this.seal()
      ;(this.chunks ??= []).push(chunk)
      this.pending += n
      this.byRef += n
    }
  }

  /** Moves the buffer's pending bytes to the chunk list (a chunk by reference follows them). */
  private seal(): void {
    if (this.end > this.start) {
      ;(this.chunks ??= []).push((this.buf as Buffer).subarray(this.start, this.end))
      this.start = this.end
    }
  }

  markDirty(): void {
    this.inList = true
    this.queued = this.owner.socket.writableLength
    dirty.push(this)
    if (!scheduled) {
      scheduled = true
      setImmediate(flushAll)
    }
  }

  /** Writes everything pending to the socket now (one write, or one writev). */
  flush(): void {
    if (this.pending === 0) return
    const owner = this.owner
    const socket = owner.socket
    const cbs = this.cbs
    const cb = cbs === null ? undefined : cbs.length === 1 ? cbs[0] : (err?: Error | null) => callAll(cbs, err)
    this.cbs = null
    this.hint = this.pending - this.byRef
    this.pending = 0
    this.byRef = 0
    if (!socket.writable) {
      this.discard()
      if (cb !== undefined) process.nextTick(cb, new Error('WebSocket connection is not open.'))
      return
    }
    let ok: boolean
    const chunks = this.chunks
    if (chunks === null) {
      ok = socket.write((this.buf as Buffer).subarray(this.start, this.end), cb)
      this.start = this.end
    } else {
      this.seal()
      this.chunks = null
      socket.cork()
      const last = chunks.length - 1
      for (let i = 0; i < last; i++) socket.write(chunks[i] as Buffer)
      ok = socket.write(chunks[last] as Buffer, cb)
      socket.uncork()
    }
    this.queued = socket.writableLength
    // The buffer goes with the write: an idle connection holds none (issue 7's idle memory).
    this.buf = null
    this.start = this.end = 0
    if (ok && owner.outputBufferFull) process.nextTick(emitDrain, owner)
  }

  /** Drops whatever is pending (the socket is gone). */
  discard(): void {
    const cbs = this.cbs
    this.pending = 0
    this.byRef = 0
    this.chunks = null
    this.cbs = null
    this.buf = null
    this.start = this.end = 0
    if (cbs !== null) process.nextTick(callAll, cbs, new Error('WebSocket connection is not open.'))
  }
}
