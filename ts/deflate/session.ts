/**
 * permessage-deflate (RFC 7692) on one connection: inflating received messages and compressing sent ones while
 * keeping the wire order. Exists only when the extension was negotiated.
 *
 * Order: while a received message is inflated the receiver is held, so frames after it (a close frame too) are
 * handled after it, and once input piles up behind it the socket is not read (backpressure: a peer flooding
 * compressed messages waits for them to be inflated instead of filling our memory); while a message is compressed, later sends and our close frame wait in a queue and go out
 * in call order (RFC 6455 §5.5.1: nothing may follow a close frame).
 */
import { Buffer } from 'node:buffer'
import type { Socket } from 'node:net'
import { codec } from '../codec/index.js'
import type { Outbox } from '../connection/outbox.js'
import type { ConnectionConfig } from '../config.js'
import type { Extension, SendCallback } from '../connection/types.js'
import { agreedParams, EXTENSION_NAME, resolveDeflateOptions } from './negotiate.js'
import { PerMessageDeflate } from '../PerMessageDeflate.js'
import type { DeflateError, PartsCallback } from '../PerMessageDeflate.js'
import type { PendingCompression } from './shared.js'
import type { Receiver } from '../Receiver.js'
import { writeMessage } from '../Sender.js'
import { headerLength } from '../codec/twin/header.js'

/** What the session needs from its connection. */
export interface DeflateHost {
  readonly socket: Socket
  readonly maskOutgoingPackets: boolean
  readonly closeEventEmitted: boolean
  readonly inputPaused: boolean
  readonly outputBufferFull: boolean
  readonly bytesWaitingToFlush: number
  _holdInput(): void
  _releaseInput(): void
  drop(reasonCode?: number, description?: string, skipCloseFrame?: boolean): void
  _afterWrite(flushed: boolean): void
  _onSocketDrain(): void
  _out(): Outbox
  _deliver(opcode: number, data: Buffer, validated: boolean): void
}

type QueuedSend = (abort: boolean) => void

const notOpen = (): Error => new Error('WebSocket connection is not open.')

/**
 * Payload bytes of sends waiting for compression above which the connection stops reading (until half of it is
 * compressed): a peer whose messages make the application send (an echo) can otherwise outrun compression, which
 * runs on the thread pool while parsing does not, and pile replies up in memory without bound even though it
 * reads everything (issue 13 audit: 1.3 GB in 5 s, the same on ws 8). Compression always catches up by itself,
 * so this hold cannot deadlock with a peer that waits for us.
 */
export const SEND_BACKLOG_HOLD = 1 << 20

/**
 * Above this many compressed bytes an unmasked, unfragmented message is written as header + zlib's chunks (one
 * writev, no copy); at or below it one joined frame (one write; the copy comes from Buffer's pool).
 */
const PARTS_MIN = 4096

/**
 * One compressed message (RSV1, FIN, unmasked, unfragmented) as its header and zlib's output chunks. Joining them
 * and copying them next to the header allocated the payload twice more per message (28 KB for a 64 KiB JSON text
 * that deflates to 14 KB), external memory that on top of zlib's own 16 KiB buffers made V8 run full GCs.
 */
function writeParts(out: Outbox, opcode: number, parts: Buffer[], length: number, cb: SendCallback | undefined): boolean {
  const at = out.reserve(headerLength(length, false))
  codec.encodeHeader(out.buf as Buffer, at, 0xc0 | opcode, length, -1)
  for (let i = 0; i < parts.length; i++) out.add(parts[i] as Buffer)
  return out.appended(cb)
}

export class DeflateSession {
  /** The message being received had RSV1 on its first frame (RFC 7692 §6.2). */
  compressed = false
  /** A received message is being inflated: the receiver is held so later frames keep their order. */
  inflating = false
  /** A message is being compressed: later sends (and our close frame) wait in the queue, in order. */
  deflating = false
  /**
   * Payload bytes of sends being compressed or waiting for it: part of `bytesWaitingToFlush`, so
   * `outputBufferFull`, `bufferedAmount` and `maxOutputBufferSize` see a backlog that has not reached the socket
   * yet (issue 13: a peer that never reads could otherwise pile sends up here without any limit noticing).
   */
  queuedBytes = 0
  /** Reading is held because more than SEND_BACKLOG_HOLD bytes of sends wait for compression. */
  sendHold = false
  private readonly queue: QueuedSend[] = []
  private stopped = false

  constructor(
    private readonly host: DeflateHost,
    readonly pmd: PerMessageDeflate,
  ) {}

  /** The session for a connection whose handshake agreed on permessage-deflate, else null. */
  static negotiated(
    host: DeflateHost,
    extensions: Extension[],
    config: ConnectionConfig,
    isServer: boolean,
  ): DeflateSession | null {
    const ext = extensions.find((e) => e.name === EXTENSION_NAME)
    if (ext === undefined) return null
    const opts = resolveDeflateOptions(config.perMessageDeflate ?? true)
    if (opts === null) return null
    return new DeflateSession(host, new PerMessageDeflate(agreedParams(ext, isServer, opts), opts))
  }

  /** Inflates a whole received message, holding `receiver` until it is delivered. */
  inflate(opcode: number, data: Buffer, receiver: Receiver, maxMessageSize: number): void {
    this.compressed = false
    this.inflating = true
    receiver.paused = true
    // Frames of this chunk wait behind it: stop reading (later chunks arriving meanwhile hold it too, see
    // _receiveBacklog). One message in flight costs no pause/resume.
    if (receiver.hasMore()) this.host._holdInput()
    this.pmd.decompress(data, maxMessageSize, (err, out) => {
      this.inflated(opcode, err, out, receiver)
      // Reading resumes once the frames already received are handled (the last one may have started another)
      // and the sends they made are not too far behind compression.
      if (!this.inflating && !this.sendHold) this.host._releaseInput()
    })
  }

  private inflated(opcode: number, err: DeflateError | null, out: Buffer | undefined, receiver: Receiver): void {
    this.inflating = false
    const host = this.host
    // Closed meanwhile (drop, socket gone, peer's close already handled): no event after 'close'.
    if (receiver.stopped || host.closeEventEmitted) return
    if (err !== null || out === undefined) {
      host.drop(err?.closeCode ?? 1007, err?.message)
      return
    }
    // §8.1 applies to the inflated text (RFC 7692 §6.2 / Autobahn 12.x, 13.x): _deliver validates it as it decodes it.
    host._deliver(opcode, out, false)
    if (!host.inputPaused && !receiver.stopped) receiver.resume()
  }

  /**
   * Compresses (at or above the threshold) and sends, one message at a time so the wire order is the call order.
   * The payload is kept by reference until it is compressed, as `ws` does. `compressed`: the payload's
   * compression already started elsewhere (one compression per publish, deflate/shared.ts; only for an unmasked
   * connection without context takeover, whose compressed bytes do not depend on its earlier messages): this
   * send waits for it in its place in the queue instead of compressing.
   */
  send(
    opcode: number,
    payload: Buffer,
    threshold: number,
    cb: SendCallback | undefined,
    compressed?: PendingCompression,
  ): void {
    const host = this.host
    const pmd = this.pmd
    const size = payload.length
    const run = (abort: boolean): void => {
      if (abort || this.stopped || !host.socket.writable) {
        this.queuedBytes -= size
        if (cb) process.nextTick(cb, notOpen())
        return
      }
      const masked = host.maskOutgoingPackets
      if (size < pmd.threshold) {
        this.dequeued(size)
        host._afterWrite(writeMessage(host._out(), opcode, payload, masked, threshold, cb))
        return
      }
      this.deflating = true
      const done: PartsCallback = (err, parts, length = 0) => {
        this.deflating = false
        this.dequeued(size)
        if (err !== null || parts === undefined || this.stopped || !host.socket.writable) {
          if (cb) process.nextTick(cb, err ?? notOpen())
          if (err !== null && err.closeCode === 1011 && !host.closeEventEmitted) host.drop(1011, err.message)
        } else if (masked || length <= PARTS_MIN || (threshold > 0 && length > threshold)) {
          const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length)
          host._afterWrite(writeMessage(host._out(), opcode, out, masked, threshold, cb, true))
        } else {
          host._afterWrite(writeParts(host._out(), opcode, parts, length, cb))
        }
        this.runQueue(false)
        this.drained()
      }
      if (compressed === undefined) pmd.compressParts(payload, done)
      else compressed.wait(done)
    }
    this.queuedBytes += size
    if (this.deflating) this.queue.push(run)
    else run(false)
    if (this.deflating && this.queuedBytes > SEND_BACKLOG_HOLD && !this.sendHold && !this.stopped) {
      this.sendHold = true
      host._holdInput()
    }
    // Counted as written: above the socket's high-water mark, outputBufferFull until 'drain'.
    if (this.deflating && !host.closeEventEmitted) {
      host._afterWrite(host.bytesWaitingToFlush < host.socket.writableHighWaterMark)
    }
  }

  /** `size` bytes of a send left the compression backlog; reading resumes once half of the hold's bound is left. */
  private dequeued(size: number): void {
    this.queuedBytes -= size
    if (!this.sendHold || this.queuedBytes > SEND_BACKLOG_HOLD / 2) return
    this.sendHold = false
    if (!this.inflating && !this.stopped) this.host._releaseInput()
  }

  /**
   * The compression backlog is gone: `'drain'` for an `outputBufferFull` it alone caused (when the socket holds
   * bytes above its mark, the socket's own `'drain'` follows).
   */
  private drained(): void {
    const host = this.host
    const socket = host.socket
    if (this.deflating || !host.outputBufferFull || socket.writableNeedDrain || !socket.writable) return
    if (host.bytesWaitingToFlush < socket.writableHighWaterMark) host._onSocketDrain()
  }

  /**
   * Queues `job` behind the message being compressed, if any; returns false when nothing is being compressed
   * (the caller then runs it now). `job(true)` means the session stopped: do it without waiting.
   */
  defer(job: QueuedSend): boolean {
    if (!this.deflating) return false
    this.queue.push(job)
    return true
  }

  /** Closes the zlib streams; queued sends fail with 'WebSocket connection is not open.'. */
  stop(): void {
    this.stopped = true
    this.pmd.close()
    this.deflating = false
    this.runQueue(true)
  }

  private runQueue(abort: boolean): void {
    while (!this.deflating || abort) {
      const next = this.queue.shift()
      if (next === undefined) return
      next(abort)
    }
  }
}
