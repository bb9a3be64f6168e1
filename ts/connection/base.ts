/**
 * What every WebSocketConnection has around its byte handling: the close-code constants, the typed events, the
 * keepalive / close timers (WebSocket-Node's public timer methods, kept under their names), the WebSocketFrame
 * scratch buffers and the outbox that gathers a turn's frames into one write (outbox.ts).
 */
import { Buffer } from 'node:buffer'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import {
  CLOSE_DESCRIPTIONS,
  CLOSE_REASON_ABNORMAL,
  STATE_CLOSED,
  TEXT_PEER_NOT_RESPONDING,
} from '../constants.js'
import type { ConnectionState } from '../constants.js'
import type { ResolvedConnectionOptions } from '../config.js'
import { logger } from '../debug.js'
import type { WebSocketFrame } from '../WebSocketFrame.js'
import { DeadlineList } from './deadlines.js'
import { Outbox } from './outbox.js'
import { defineFlags } from './flags.js'
import type { DeadlineEntry } from './deadlines.js'
import type { IMessage } from './types.js'

export interface ConnectionBase {
  on(event: 'message', listener: (data: IMessage) => void): this
  on(event: 'frame', listener: (frame: WebSocketFrame) => void): this
  on(event: 'close', listener: (code: number, desc: string) => void): this
  on(event: 'error', listener: (err: Error) => void): this
  on(event: 'ping', listener: (cancel: () => void, data: Buffer) => void): this
  on(event: 'pong', listener: (data: Buffer) => void): this
  on(event: 'drain' | 'pause' | 'resume', listener: () => void): this
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own catch-all signature
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'message', listener: (data: IMessage) => void): this
  once(event: 'frame', listener: (frame: WebSocketFrame) => void): this
  once(event: 'close', listener: (code: number, desc: string) => void): this
  once(event: 'error', listener: (err: Error) => void): this
  once(event: 'ping', listener: (cancel: () => void, data: Buffer) => void): this
  once(event: 'pong', listener: (data: Buffer) => void): this
  once(event: 'drain' | 'pause' | 'resume', listener: () => void): this
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own catch-all signature
  once(event: string | symbol, listener: (...args: any[]) => void): this
}

const log = logger('connection')

// The keepalive and grace-period deadlines of all connections, one list per duration (see deadlines.ts), and the
// close timer's callback (the connection rides as the timer's argument): nothing per connection but 4 fields.
const keepaliveLists = new Map<number, DeadlineList>()
const graceLists = new Map<number, DeadlineList>()
const onKeepaliveDue = (c: DeadlineEntry): void => (c as ConnectionBase).handleKeepaliveTimer()
const onGraceDue = (c: DeadlineEntry): void => (c as ConnectionBase).handleGracePeriodTimer()
const onCloseTimer = (c: ConnectionBase): void => c.handleCloseTimer()

/**
 * The listener store of a connection (`_events`): an object with fast properties instead of EventEmitter's
 * null-prototype object, which V8 keeps as a hash table (~140 bytes more per connection, issue 7). Its prototype
 * is an empty null-prototype object, so no inherited key (`toString`, `__proto__`…) can look like a listener.
 */
const EventSlots = function EventSlots(): void {} as unknown as { new (): object; prototype: object }
EventSlots.prototype = Object.create(null) as object

/**
 * The boolean properties of a connection, as bits of one field: 11 fields fewer on every connection (issue 7).
 * They stay ordinary read/write properties (accessors on the prototype).
 */
const FLAGS = {
  connected: 1,
  closeEventEmitted: 2,
  waitingForCloseResponse: 4,
  receivedEnd: 8,
  outputBufferFull: 16,
  inputPaused: 32,
  socketHadError: 64,
  maskOutgoingPackets: 128,
  assembleFragments: 256,
  _listenersAdded: 512,
  _inputHeld: 1024,
  _quietResume: 2048,
  _resumeOwed: 4096,
  _textInPieces: 8192,
} as const

/** @internal The keepalive / grace-period lists in use, by duration (for tests). */
export const deadlineLists = { keepalive: keepaliveLists, grace: graceLists }

export abstract class ConnectionBase extends EventEmitter implements DeadlineEntry {
  static readonly CLOSE_REASON_NORMAL = 1000
  static readonly CLOSE_REASON_GOING_AWAY = 1001
  static readonly CLOSE_REASON_PROTOCOL_ERROR = 1002
  static readonly CLOSE_REASON_UNPROCESSABLE_INPUT = 1003
  static readonly CLOSE_REASON_RESERVED = 1004
  static readonly CLOSE_REASON_NOT_PROVIDED = 1005
  static readonly CLOSE_REASON_ABNORMAL = 1006
  static readonly CLOSE_REASON_INVALID_DATA = 1007
  static readonly CLOSE_REASON_POLICY_VIOLATION = 1008
  static readonly CLOSE_REASON_MESSAGE_TOO_BIG = 1009
  static readonly CLOSE_REASON_EXTENSION_REQUIRED = 1010
  static readonly CLOSE_REASON_INTERNAL_SERVER_ERROR = 1011
  static readonly CLOSE_REASON_TLS_HANDSHAKE_FAILED = 1015
  static readonly CLOSE_DESCRIPTIONS = CLOSE_DESCRIPTIONS

  abstract socket: Socket
  abstract state: ConnectionState
  abstract remoteAddress: string | undefined
  /** @internal */
  abstract _opts: ResolvedConnectionOptions
  /** @internal The boolean properties below, one bit each (see FLAGS). */
  _bits = 0
  /** False once the closing handshake started or the connection closed. */
  declare connected: boolean
  /** `'close'` was emitted. */
  declare closeEventEmitted: boolean
  /** We sent a close frame first and wait for the peer's. */
  declare waitingForCloseResponse: boolean
  /** The peer half-closed TCP (`'end'`). */
  declare receivedEnd: boolean
  /** True after a write returned false, until `'drain'`. */
  declare outputBufferFull: boolean
  /** `pause()` was called (and not `resume()` since). */
  declare inputPaused: boolean
  /** The socket closed because of an error. */
  declare socketHadError: boolean
  /** Outgoing frames are masked (client side). */
  declare maskOutgoingPackets: boolean
  /** Whole messages (`'message'`) rather than frames (`'frame'`) are emitted. */
  declare assembleFragments: boolean
  /** @internal The socket listeners are attached. */
  declare _listenersAdded: boolean
  /** @internal The socket is paused while a received message inflates (backpressure, not `pause()`). */
  declare _inputHeld: boolean
  /** @internal The next socket `'resume'` is the end of a hold: not re-emitted. */
  declare _quietResume: boolean
  /** @internal `resume()` was called during a hold: the socket's `'resume'` at its end is the user's. */
  declare _resumeOwed: boolean
  /** @internal The fragmented message in progress is uncompressed text: its frames go to the receiver's text message. */
  declare _textInPieces: boolean
  private _maskBytes: Buffer | null = null
  private _frameHeader: Buffer | null = null
  /** @internal This turn's frames (created at the first send; see outbox.ts). */
  _outbox: Outbox | null = null
  /** @internal Keepalive or grace-period deadline (see deadlines.ts). */
  _dlPrev: DeadlineEntry | null = null
  /** @internal */
  _dlNext: DeadlineEntry | null = null
  /** @internal */
  _dlAt = 0
  /** @internal The keepalive list (waiting for silence) or the grace list (pinged, waiting for data), or null. */
  _dlList: DeadlineList | null = null
  protected _closeTimer: NodeJS.Timeout | null = null

  constructor() {
    super()
    ;(this as unknown as { _events: object })._events = new EventSlots()
  }

  /** Scratch buffer handed to WebSocketFrame objects, as in WebSocket-Node (allocated on first use). */
  get maskBytes(): Buffer {
    return (this._maskBytes ??= Buffer.alloc(4))
  }

  set maskBytes(value: Buffer) {
    this._maskBytes = value
  }

  /** Scratch buffer handed to WebSocketFrame objects, as in WebSocket-Node (allocated on first use). */
  get frameHeader(): Buffer {
    return (this._frameHeader ??= Buffer.alloc(10))
  }

  set frameHeader(value: Buffer) {
    this._frameHeader = value
  }

  /** @internal Where every frame of this connection is appended. */
  _out(): Outbox {
    return (this._outbox ??= new Outbox(this))
  }

  /** Bytes sent and not yet handed to the kernel: this turn's frames and the socket's queue. */
  get bytesWaitingToFlush(): number {
    return (this._outbox?.pending ?? 0) + this.socket.writableLength
  }

  /** @internal */
  abstract _onSocketDrain(): void

  abstract ping(data?: Buffer | { toString(): string }): void
  abstract drop(reasonCode?: number, description?: string, skipCloseFrame?: boolean): void

  /**
   * (Re)starts the keepalive timer: a ping after `keepaliveInterval` ms without incoming data. Also stops the
   * grace period (a connection waits for one of the two at a time).
   */
  setKeepaliveTimer(): void {
    if (!this._opts.keepalive || this._opts.useNativeKeepalive) return
    this.clearKeepaliveTimer()
    this.clearGracePeriodTimer()
    if (this.state === STATE_CLOSED) return
    DeadlineList.of(keepaliveLists, this._opts.keepaliveInterval, onKeepaliveDue).add(this)
  }

  clearKeepaliveTimer(): void {
    const list = this._dlList
    if (list !== null && list.onDue === onKeepaliveDue) list.remove(this)
  }

  /** Incoming data: the keepalive timer starts over; in the grace period, the peer answered. */
  protected _activity(): void {
    const list = this._dlList
    if (list === null) return
    if (list.onDue === onKeepaliveDue) list.touch(this)
    else this.setKeepaliveTimer()
  }

  handleKeepaliveTimer(): void {
    if (log.enabled) log('%s: keepalive ping', this.remoteAddress)
    this.clearKeepaliveTimer()
    this.ping()
    if (this._opts.dropConnectionOnKeepaliveTimeout) this.setGracePeriodTimer()
    else this.setKeepaliveTimer()
  }

  /** Starts the grace period: `drop` (1006 'Peer not responding.') unless data comes within keepaliveGracePeriod. */
  setGracePeriodTimer(): void {
    this.clearKeepaliveTimer()
    this.clearGracePeriodTimer()
    DeadlineList.of(graceLists, this._opts.keepaliveGracePeriod, onGraceDue).add(this)
  }

  clearGracePeriodTimer(): void {
    const list = this._dlList
    if (list !== null && list.onDue === onGraceDue) list.remove(this)
  }

  handleGracePeriodTimer(): void {
    if (log.enabled) log('%s: nothing received within the grace period after a ping', this.remoteAddress)
    this.clearGracePeriodTimer()
    this.drop(CLOSE_REASON_ABNORMAL, TEXT_PEER_NOT_RESPONDING, true)
  }

  setCloseTimer(): void {
    this.clearCloseTimer()
    this._closeTimer = setTimeout(onCloseTimer, this._opts.closeTimeout, this)
  }

  clearCloseTimer(): void {
    if (this._closeTimer !== null) clearTimeout(this._closeTimer)
    this._closeTimer = null
  }

  /** The peer did not complete the close within closeTimeout: destroy (WebSocket-Node only called end(), #241). */
  handleCloseTimer(): void {
    if (log.enabled) log('%s: closeTimeout: destroying the socket', this.remoteAddress)
    this._closeTimer = null
    this.state = STATE_CLOSED
    this._outbox?.discard()
    this.socket.destroy()
  }
}

defineFlags(ConnectionBase.prototype, FLAGS)
