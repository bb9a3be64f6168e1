/**
 * What every WebSocketConnection has around its byte handling: the close-code constants, the typed events, the
 * keepalive / close timers (WebSocket-Node's public timer methods, kept under their names), the WebSocketFrame
 * scratch buffers and the batching of replies into one write.
 */
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
/** Writes gathered into one writev at most (see _batch). */
const MAX_BATCH = 64

// Timer callbacks shared by all connections (the connection rides as the timer's argument): no closure per
// connection.
const onKeepaliveTimer = (c: ConnectionBase): void => c.handleKeepaliveTimer()
const onGracePeriodTimer = (c: ConnectionBase): void => c.handleGracePeriodTimer()
const onCloseTimer = (c: ConnectionBase): void => c.handleCloseTimer()

export abstract class ConnectionBase extends EventEmitter {
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
  protected abstract readonly _receiver: { hasMore(): boolean }
  /** @internal */
  abstract readonly _opts: ResolvedConnectionOptions
  private _maskBytes: Buffer | null = null
  private _frameHeader: Buffer | null = null
  // Replies written while one socket chunk's frames are delivered are corked into one write (see handleSocketData).
  protected _receiving = false
  protected _corked = false
  /** Bytes already queued in the socket when it was corked. */
  protected _corkBase = 0
  private _corkedWrites = 0
  protected _keepaliveTimer: NodeJS.Timeout | null = null
  protected _graceTimer: NodeJS.Timeout | null = null
  protected _closeTimer: NodeJS.Timeout | null = null

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

  /**
   * Corks for a write made while more frames of the chunk are to come. At most MAX_BATCH writes per cork: one
   * writev stays below IOV_MAX and completes at once when the peer reads, so `writableLength` (the pong limit's
   * "stuck peer" signal) is not left above 0 by a ping flood.
   */
  protected _batch(socket: Socket): void {
    if (this._corked) {
      if (++this._corkedWrites < MAX_BATCH) return
      this._uncork()
    }
    if (!this._receiver.hasMore()) return
    this._corkBase = socket.writableLength
    this._corkedWrites = 1
    this._corked = true
    socket.cork()
  }

  protected _uncork(): void {
    if (!this._corked) return
    this._corked = false
    this.socket.uncork()
  }

  /** Bytes queued in the socket and not yet handed to the kernel. */
  get bytesWaitingToFlush(): number {
    return this.socket.writableLength
  }

  abstract ping(data?: Buffer | { toString(): string }): void
  abstract drop(reasonCode?: number, description?: string, skipCloseFrame?: boolean): void

  setKeepaliveTimer(): void {
    if (!this._opts.keepalive || this._opts.useNativeKeepalive) return
    this.clearKeepaliveTimer()
    this.clearGracePeriodTimer()
    if (this.state === STATE_CLOSED) return
    this._keepaliveTimer = setTimeout(onKeepaliveTimer, this._opts.keepaliveInterval, this)
  }

  clearKeepaliveTimer(): void {
    if (this._keepaliveTimer !== null) clearTimeout(this._keepaliveTimer)
    this._keepaliveTimer = null
  }

  handleKeepaliveTimer(): void {
    if (log.enabled) log('%s: keepalive ping', this.remoteAddress)
    this._keepaliveTimer = null
    this.ping()
    if (this._opts.dropConnectionOnKeepaliveTimeout) this.setGracePeriodTimer()
    else this.setKeepaliveTimer()
  }

  setGracePeriodTimer(): void {
    this.clearGracePeriodTimer()
    this._graceTimer = setTimeout(onGracePeriodTimer, this._opts.keepaliveGracePeriod, this)
  }

  clearGracePeriodTimer(): void {
    if (this._graceTimer !== null) clearTimeout(this._graceTimer)
    this._graceTimer = null
  }

  handleGracePeriodTimer(): void {
    if (log.enabled) log('%s: nothing received within the grace period after a ping', this.remoteAddress)
    this._graceTimer = null
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
    this.socket.destroy()
  }
}
