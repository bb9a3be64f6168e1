/**
 * An open WebSocket connection (WebSocket-Node's `WebSocketConnection`): events, sending, the closing handshake
 * (RFC 6455 §7), keepalive. Bytes are handled by Receiver (in) and Sender (out) through the codec.
 *
 * Stricter than WebSocket-Node (RFC 6455): unmasked client / masked server frames → 1002; invalid UTF-8 → 1007 at
 * the first bad byte; control payloads up to 125 bytes; an empty close frame is reported as 1005 (reply 1000);
 * 1004–1006 and 1015 are invalid on the wire and in close(); closeTimeout destroys the socket; socket errors never
 * crash the process; message/fragment/pong/output limits (see ConnectionConfig).
 */
import { Buffer } from 'node:buffer'
import type { Socket } from 'node:net'
import { codec } from './codec/index.js'
import { D_TEXT_UNCHECKED } from './codec/types.js'
import { logger } from './debug.js'
import {
  CLOSE_DESCRIPTIONS,
  CLOSE_REASON_ABNORMAL,
  CLOSE_REASON_PROTOCOL_ERROR,
  STATE_CLOSED,
  STATE_ENDING,
  STATE_OPEN,
  STATE_PEER_REQUESTED_CLOSE,
  TEXT_DROPPED_BY_PEER,
  TEXT_LOST_BEFORE_HANDSHAKE,
  TEXT_OUTPUT_BUFFER_FULL,
  TEXT_INVALID_UTF8,
  TEXT_TOO_MANY_PONGS,
} from './constants.js'
import type { ConnectionState } from './constants.js'
import { DEFAULT_FRAME_SIZE, defaultMaxFragments, sizeLimit } from './config.js'
import type { ConnectionConfig, ResolvedConnectionOptions } from './config.js'
import { isStringTooLong, type ProtocolError } from './errors.js'
import { MessageAssembler } from './connection/assembler.js'
import { ConnectionBase } from './connection/base.js'
import { sharedOptions } from './connection/options.js'
import { beginReceiving, endReceiving } from './connection/outbox.js'
import { listenToSocket, ownSocket } from './connection/socket.js'
import { emitText, RECENT_MIN, utf8Bytes } from './connection/text.js'
import type { Extension, SendCallback } from './connection/types.js'
import { DeflateSession } from './deflate/session.js'
import type { DeflateHost } from './deflate/session.js'
import { Receiver, TEXT_HELD } from './Receiver.js'
import type { ReceiverSink } from './Receiver.js'
import { controlPayload, truncateUtf8, writeFrame, writeMessage, writeText } from './Sender.js'
import { WebSocketFrame } from './WebSocketFrame.js'
import { checkTopic } from './pubsub/hub.js'
import type { PublishData, TopicHub } from './pubsub/hub.js'

export type { Extension, IMessage, SendCallback } from './connection/types.js'

const EMPTY = Buffer.alloc(0)
/** `closeDescription` while open: null, as in the original (the declared type follows @types/websocket). */
const NOT_CLOSED = null as unknown as string
/** State changes and close reasons (`DEBUG=ferrosocket:connection`); never on the per-message path. */
const log = logger('connection')

export class WebSocketConnection extends ConnectionBase implements ReceiverSink, DeflateHost {
  config: ConnectionConfig
  socket: Socket
  /**
   * The agreed subprotocol. Without one it keeps what the original keeps: on the server the value given to
   * `accept()` (usually `null`), on the client `undefined`. Declared `string` as in `@types/websocket`, so code
   * written for those types compiles unchanged.
   */
  protocol: string
  /** The peer's address (the X-Forwarded-For client on a server that trusts it). Declared as in @types/websocket. */
  remoteAddress: string
  /** 8 or 13, set by the request or client that made the connection. */
  webSocketVersion!: number
  /** -1 while open. */
  closeReasonCode = -1
  /** null while open (declared `string`, as in `@types/websocket`). */
  closeDescription: string = NOT_CLOSED
  state: ConnectionState = STATE_OPEN
  // connected, closeEventEmitted, waitingForCloseResponse, receivedEnd, outputBufferFull, inputPaused,
  // socketHadError, maskOutgoingPackets, assembleFragments: bits of one field (see ConnectionBase).

  /** @internal Shared by all connections of a config; replaced by a copy of its own if a limit is set here. */
  _opts: ResolvedConnectionOptions
  protected readonly _receiver: Receiver
  private _queuedPongs = 0
  /** The fragmented message being received (created at the first fragmented message). */
  private _assembler: MessageAssembler | null = null
  /** UTF-8 state of unchecked text frames handed out after assembleFragments was switched off (`_checkFrameText`). */
  private _frameUtf8 = 0
  /** @internal permessage-deflate (null unless negotiated). */
  readonly _deflate: DeflateSession | null
  // Created when first read (idle memory, issue 7): the usual values are an empty list and [the peer's address].
  private _extensions: Extension[] | null
  /** @internal Set by WebSocketRequest: its remoteAddresses, or null for [the socket's address]. */
  _remoteAddresses: string[] | null | undefined = undefined
  /** @internal The topics of the server that accepted this connection (null on the client side). */
  _pubsub: TopicHub | null = null
  /** @internal This connection's topics (null until its first subscribe; see pubsub/topics.ts). */
  _topics: Set<string> | null = null

  constructor(
    socket: Socket,
    extensions: Extension[] | null | undefined,
    protocol: string | null | undefined,
    maskOutgoingPackets: boolean,
    config: ConnectionConfig,
  ) {
    super()
    this.config = config
    this.socket = socket
    this.protocol = protocol as string
    this._extensions = extensions !== null && extensions !== undefined && extensions.length > 0 ? extensions : null
    this.remoteAddress = socket.remoteAddress as string
    this.connected = true
    this.maskOutgoingPackets = maskOutgoingPackets
    const opts = (this._opts = sharedOptions(config))
    this.assembleFragments = opts.assembleFragments
    this._deflate = DeflateSession.negotiated(this, extensions ?? [], config, !maskOutgoingPackets)
    // Without assembly nothing is buffered beyond one frame, so message/fragment limits do not apply.
    this._receiver = new Receiver(
      this,
      !maskOutgoingPackets,
      opts.maxFrameSize,
      opts.assembleFragments ? opts.maxMessageSize : Number.MAX_SAFE_INTEGER,
      opts.assembleFragments ? opts.maxFragments : 0,
      this._deflate !== null,
      // A whole text message in one frame is validated while it is decoded (_deliver), not twice.
      opts.assembleFragments,
    )
    ownSocket(socket, this)
    socket.setNoDelay(opts.disableNagleAlgorithm)
    socket.setTimeout(0)
    if (opts.keepalive && !opts.useNativeKeepalive) this.setKeepaliveTimer()
    else if (opts.keepalive && opts.useNativeKeepalive) socket.setKeepAlive(true, opts.keepaliveInterval)
  }

  /** Milliseconds to wait for the peer's close frame (the config's `closeTimeout`). */
  get closeTimeout(): number {
    return this._opts.closeTimeout
  }

  set closeTimeout(value: number) {
    this._opts = { ...this._opts, closeTimeout: value }
  }

  /**
   * Largest message accepted (the config's `maxReceivedMessageSize`). Settable, as in WebSocket-Node: from the next
   * frame header on, the message in progress included; the derived default of `maxReceivedFragments` follows it.
   * Throws for anything but a number >= 0; values above 2^32 − 1 act as 2^32 − 1.
   */
  get maxReceivedMessageSize(): number {
    return this._opts.maxMessageSize
  }

  set maxReceivedMessageSize(value: number) {
    if (value === undefined) throw new TypeError('maxReceivedMessageSize must be a number of bytes >= 0; got undefined')
    const maxMessageSize = sizeLimit(value, 'maxReceivedMessageSize', 0)
    const opts = this._opts
    const maxFragments =
      this.config.maxReceivedFragments === undefined ? defaultMaxFragments(maxMessageSize) : opts.maxFragments
    this._opts = { ...opts, maxMessageSize, maxFragments }
    this._applyLimits()
  }

  /** The receiver's limits from `_opts`, from the next frame header on (the message in progress included). */
  private _applyLimits(): void {
    const o = this._opts
    // Without assembly nothing is buffered beyond one frame: the receiver has no message limit then.
    this._receiver.setLimits(
      o.maxFrameSize,
      o.assembleFragments ? o.maxMessageSize : Number.MAX_SAFE_INTEGER,
      o.assembleFragments ? o.maxFragments : 0,
    )
  }

  /**
   * @internal Receiver callback, before each parse: `config.maxReceivedFrameSize` changed at run time applies to
   * the frame headers parsed from now on. WebSocket-Node read it for every frame (each WebSocketFrame copied it from
   * `connection.config`, the server's or client's own config object, so one change reached all their connections).
   * A value that is not a number >= 0 is ignored (the data path has no one to throw to): the limit stays.
   */
  _beforeParse(): void {
    const value = this.config.maxReceivedFrameSize
    const opts = this._opts
    if (value === opts.frameSizeSource) return
    let maxFrameSize = opts.maxFrameSize
    try {
      maxFrameSize = sizeLimit(value, 'maxReceivedFrameSize', DEFAULT_FRAME_SIZE)
    } catch {}
    this._opts = { ...opts, maxFrameSize, frameSizeSource: value }
    this._applyLimits()
  }

  /** Bytes sent and not yet handed to the kernel: the socket's queue and sends waiting for compression. */
  override get bytesWaitingToFlush(): number {
    const deflate = this._deflate
    return deflate === null ? super.bytesWaitingToFlush : super.bytesWaitingToFlush + deflate.queuedBytes
  }

  /** The negotiated extensions: `[]`, or permessage-deflate with its parameters. */
  get extensions(): Extension[] {
    return (this._extensions ??= [])
  }

  set extensions(value: Extension[]) {
    this._extensions = value
  }

  /**
   * Server side: the X-Forwarded-For entries followed by the socket's address, or just the socket's address (see
   * `WebSocketRequest.remoteAddresses`). Undefined on the client side.
   */
  get remoteAddresses(): string[] | undefined {
    const addresses = this._remoteAddresses
    if (addresses !== null) return addresses
    return (this._remoteAddresses = [this.socket.remoteAddress ?? ''])
  }

  set remoteAddresses(value: string[] | undefined) {
    this._remoteAddresses = value
  }

  /**
   * Starts reading. Called by the creator once the handshake response is written (server) or verified (client);
   * bytes that came with the handshake are then passed to `handleSocketData(head)`.
   */
  _addSocketEventListeners(): void {
    if (this._listenersAdded) return
    this._listenersAdded = true
    listenToSocket(this.socket)
  }

  /**
   * For creators whose socket died before the handshake completed: `'close'` (1006,
   * 'TCP connection lost before handshake completed.') on the next tick, no close frame.
   */
  _handleSocketCloseBeforeAccept(): void {
    process.nextTick(() => this.drop(CLOSE_REASON_ABNORMAL, TEXT_LOST_BEFORE_HANDSHAKE, true))
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving
  // ---------------------------------------------------------------------------------------------

  /** Feeds bytes read from the socket (also the handshake's `head`). */
  handleSocketData(data: Buffer): void {
    if (this._dlList !== null) this._activity()
    // Replies to every frame of the chunk (a pipelining peer's) gather in the outbox and leave in one write once the
    // chunk is handled, as before the outbox: waiting for the end of the turn delayed every echo behind all the
    // other sockets' reads of that poll (32 B × 1,000 connections: p99 12.7 → 15.5 ms, 132k → 118k rt/s). Sends to
    // other connections made meanwhile (fan-out) still wait for the end of the turn; this connection's own sends
    // schedule no end-of-turn flush at all (beginReceiving).
    const previous = beginReceiving(this)
    try {
      this._receiver.push(data)
    } finally {
      endReceiving(previous, this._outbox)
    }
  }

  /**
   * @internal Receiver callback: a text frame crossing chunks may go into the receiver's text message (validated
   * there once), unless frames are handed out or a replaced processFrame must see each frame's payload.
   */
  _holdsText(): boolean {
    return this.assembleFragments && this.processFrame === baseProcessFrame
  }

  /** @internal Receiver callback: one complete, validated frame. */
  _receiveFrame(bits: number, payload: Buffer, maskKey: number): void {
    if ((bits & TEXT_HELD) !== 0) {
      // Its payload is in the receiver's text message already (`_holdsText` said so when it began)…
      if (this._holdsText()) {
        this._processFrame(bits, payload)
        return
      }
      // … but assembleFragments was switched off, or processFrame replaced, while it arrived: it is taken back out
      // and goes the way of any other frame.
      payload = this._releaseHeldFrame(bits)
      bits -= TEXT_HELD
    }
    let frame: WebSocketFrame | null = null
    if (!this.assembleFragments) {
      if ((bits & D_TEXT_UNCHECKED) !== 0) {
        // Left to the message, but assembleFragments was switched off since: frames are handed out validated (a
        // fragment as a continuation of the frames before it).
        if (!this._checkFrameText(bits, payload)) {
          this.drop(1007, TEXT_INVALID_UTF8)
          return
        }
        bits -= D_TEXT_UNCHECKED
      }
      frame = WebSocketFrame._fromParsed(bits, payload, maskKey, this.maskBytes, this.frameHeader, this.config)
      this.emit('frame', frame)
    }
    // Someone patched or overrode processFrame (the original's hook): give it a frame object, as the original did.
    // Otherwise no frame object is made for a message (one property read per frame).
    if (this.processFrame !== baseProcessFrame) {
      frame ??= WebSocketFrame._fromParsed(bits, payload, maskKey, this.maskBytes, this.frameHeader, this.config)
      this.processFrame(frame)
      return
    }
    this._processFrame(bits, payload)
  }

  /**
   * Handles one received frame, as the original's `processFrame`: a data frame becomes (part of) a `'message'`
   * (nothing with `assembleFragments: false`, where `'frame'` was already emitted), a ping is answered (or handed
   * to `'ping'` listeners), a pong emitted, a close frame answered. Called for every frame the parser accepted,
   * in order; a subclass or patch that replaces it sees each frame first and calls the original to continue.
   * The frame has been validated by then (header, sequence, limits, UTF-8 of fragmented text and close reasons):
   * unlike the original's, this method does not check again, so a hand-made frame is trusted as it is — except the
   * UTF-8 of a whole text message in one frame, which its decode validates (1007 when invalid).
   */
  processFrame(frame: WebSocketFrame): void {
    const bits =
      (frame.fin ? 0x80 : 0) |
      (frame.rsv1 ? 0x40 : 0) |
      (frame.rsv2 ? 0x20 : 0) |
      (frame.rsv3 ? 0x10 : 0) |
      (frame.opcode & 0x0f)
    let payload: Buffer = frame.binaryPayload
    // WebSocketFrame keeps a close frame's status apart from its reason: put the two bytes back.
    if (frame.opcode === 0x08 && frame.closeStatus !== -1) {
      const head = Buffer.allocUnsafe(2)
      head.writeUInt16BE(frame.closeStatus & 0xffff, 0)
      payload = Buffer.concat([head, payload])
    }
    // A whole text message in one frame is validated by its decode, the frames of a fragmented one as they are
    // appended to the message: the parse left them so (PARSE_DEFER_TEXT), and a frame object carries no mark of that.
    this._processFrame(frame.opcode === 0x01 && frame.fin ? bits | D_TEXT_UNCHECKED : bits, payload)
  }

  private _processFrame(bits: number, payload: Buffer): void {
    const opcode = bits & 0x0f
    if (opcode < 8) {
      if (!this.assembleFragments) return
      const fin = (bits & 0x80) !== 0
      if (opcode !== 0 && this._deflate !== null) this._deflate.compressed = (bits & 0x40) !== 0
      if ((bits & TEXT_HELD) !== 0) {
        // A text frame that crossed chunks: its bytes are in the receiver's text message, validated.
        if (fin) this._finishText()
        else this._textInPieces = true
        return
      }
      if (fin && opcode !== 0) {
        this._complete(opcode, payload, (bits & D_TEXT_UNCHECKED) === 0)
        return
      }
      if (opcode !== 0) this._textInPieces = opcode === 0x01 && (bits & 0x40) === 0
      if (this._textInPieces) {
        // Uncompressed text in several frames: each appended to the receiver's text message and validated there
        // (fail-fast, at the frame with the first invalid byte), the string made once at the end.
        if (!this._receiver.appendText(payload, opcode !== 0, fin)) {
          this.drop(1007, TEXT_INVALID_UTF8)
          return
        }
        if (fin) this._finishText()
        return
      }
      const assembler = (this._assembler ??= new MessageAssembler())
      const data = assembler.add(opcode, fin, payload, this._opts.maxMessageSize)
      if (data !== null) this._complete(assembler.opcode, data, true)
      return
    }
    if (opcode === 0x09) this._handlePing(payload)
    else if (opcode === 0x0a) this.emit('pong', payload)
    else this._handleCloseFrame(payload)
  }

  /** @internal Receiver callback: a chunk arrived while delivery is held; reading stops while inflation is behind. */
  _receiveBacklog(): void {
    if (this._deflate?.inflating === true) this._holdInput()
  }

  /** @internal Receiver callback: the peer broke the protocol or a limit. */
  _receiveError(error: ProtocolError): void {
    this.drop(error.closeCode, error.message)
  }

  /**
   * A whole message: delivered now, or inflated first (RSV1 on its first frame, RFC 7692 §6.2). `validated`: the
   * receiver already checked its UTF-8 (fragmented text, or a payload that arrived over several chunks).
   */
  private _complete(opcode: number, data: Buffer, validated: boolean): void {
    const deflate = this._deflate
    if (deflate === null || !deflate.compressed) this._deliver(opcode, data, validated)
    else deflate.inflate(opcode, data, this._receiver, this._opts.maxMessageSize)
  }

  /**
   * @internal A whole (inflated) message to the 'message' listeners. Text not `validated` yet (a message that came
   * in one frame, an inflated one) is validated by the decode itself: one pass over its bytes (docs/text.md).
   */
  _deliver(opcode: number, data: Buffer, validated = false): void {
    if (opcode === 0x01) {
      let text: string | null
      try {
        text = validated ? codec.decodeUtf8(data) : codec.decodeText(data)
      } catch (err) {
        // Above V8's maximum string length (only reachable with a raised maxReceivedMessageSize). Anything else is
        // a bug and must not pass for a size limit.
        if (!isStringTooLong(err)) throw err
        this.drop(1009, 'Maximum message size exceeded.')
        return
      }
      if (text === null) {
        this.drop(1007, TEXT_INVALID_UTF8)
        return
      }
      emitText(this, { type: 'utf8', utf8Data: text }, text, data)
    } else {
      this.emit('message', { type: 'binary', binaryData: data })
    }
  }

  /** The receiver's text message is complete: its string (made from its validated bytes) to the listeners. */
  private _finishText(): void {
    this._textInPieces = false
    const receiver = this._receiver
    const keep = receiver.textLength() >= RECENT_MIN
    let text: string
    try {
      text = receiver.finishText(keep)
    } catch (err) {
      // As in _deliver: only V8's string-length failure is a size limit.
      if (!isStringTooLong(err)) throw err
      this.drop(1009, 'Maximum message size exceeded.')
      return
    }
    emitText(this, { type: 'utf8', utf8Data: text }, text, keep ? receiver.takeTextBytes() : null)
  }

  /**
   * The payload of a frame delivered with TEXT_HELD, out of the receiver's text message (validated there, as a
   * continuation of the fragments before it). A replaced processFrame passes it on to the base one, which appends
   * it to those fragments again; a frame handed out as `'frame'` is where the check of the next ones continues.
   */
  private _releaseHeldFrame(bits: number): Buffer {
    const receiver = this._receiver
    const start = receiver.heldFrameStart()
    const bytes = receiver.takeTextBytes()
    if (this.assembleFragments) {
      if (start > 0) receiver.appendText(bytes.subarray(0, start), true, false)
    } else {
      this._frameUtf8 = (bits & 0x80) !== 0 ? 0 : codec.utf8Stream(0, bytes, false)
    }
    return bytes.subarray(start)
  }

  /**
   * The UTF-8 of an unchecked text frame handed out as a `'frame'` (assembleFragments switched off after the parse
   * deferred it): a whole message at once, fragments as a stream (`_frameUtf8` carries the cut code point).
   */
  private _checkFrameText(bits: number, payload: Buffer): boolean {
    const opcode = bits & 0x0f
    const fin = (bits & 0x80) !== 0
    if (opcode !== 0) this._frameUtf8 = 0
    const state = codec.utf8Stream(this._frameUtf8, payload, fin)
    this._frameUtf8 = state < 0 ? 0 : state
    return state >= 0
  }

  private _handlePing(payload: Buffer): void {
    if (this.listenerCount('ping') > 0) {
      let cancelled = false
      this.emit('ping', () => {
        cancelled = true
      }, payload)
      if (cancelled) return
    }
    if (!this._writable(undefined)) return
    // A peer that pings but never reads would pile pongs up in our output buffer without bound (this turn's
    // outbox does not count: it is not stuck, just not written yet).
    const maxPongs = this._opts.maxPendingPongs
    if (this.socket.writableLength > 0 && ++this._queuedPongs > maxPongs && maxPongs > 0) {
      this.drop(1008, TEXT_TOO_MANY_PONGS, true)
      return
    }
    this._afterWrite(writeFrame(this._out(), 0x0a, payload, this.maskOutgoingPackets))
  }

  private _handleCloseFrame(payload: Buffer): void {
    // The receiver validated it once (length ≠ 1, code valid on the wire, UTF-8 reason); here it is only read.
    // Empty → 1005.
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
    const reason = payload.length > 2 ? payload.toString('utf8', 2) : ''
    // §5.5.1: nothing after a close frame is processed.
    this._receiver.stop()
    if (log.enabled) log('%s: close frame received: %d %s', this.remoteAddress, code, reason)
    if (this.waitingForCloseResponse) {
      this.waitingForCloseResponse = false
      this.state = STATE_CLOSED
      // Our close frame may still wait behind a message being compressed (sendCloseFrame): it ends the socket
      // once it is written. Ending now lost both (issue 13).
      if (this._deflate?.deflating === true) return
      if (!this.socket.writableEnded) this.socket.end()
      return
    }
    this.state = STATE_PEER_REQUESTED_CLOSE
    this.closeReasonCode = code
    this.closeDescription = reason !== '' ? reason : (CLOSE_DESCRIPTIONS[code] ?? '')
    this.sendCloseFrame(1000)
    this.connected = false
    this.setCloseTimer()
  }

  // ---------------------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------------------

  /** A Buffer goes out as binary, anything else with toString() as text (so `send(12345)` sends "12345"). */
  send(data: Buffer | { toString(): string }, cb?: SendCallback): void {
    if (Buffer.isBuffer(data)) this.sendBytes(data, cb)
    else if (data !== null && data !== undefined && typeof data.toString === 'function') this.sendUTF(data, cb)
    else throw new Error('Data provided must either be a Node Buffer or implement toString()')
  }

  /** Sends a text message (fragmented above `fragmentationThreshold`). */
  sendUTF(data: { toString(): string }, cb?: SendCallback): void {
    if (!this._writable(cb)) return
    if (this._deflate !== null) {
      this._deflate.send(0x01, utf8Bytes(data.toString()), this._opts.fragmentationThreshold, cb)
      return
    }
    const threshold = this._opts.fragmentationThreshold
    this._afterWrite(writeText(this._out(), data.toString(), this.maskOutgoingPackets, threshold, cb))
  }

  /** Sends a binary message (fragmented above `fragmentationThreshold`). */
  sendBytes(data: Buffer, cb?: SendCallback): void {
    if (!Buffer.isBuffer(data)) {
      throw new Error('You must pass a Node Buffer object to WebSocketConnection.prototype.sendBytes()')
    }
    if (!this._writable(cb)) return
    if (this._deflate !== null) {
      this._deflate.send(0x02, data, this._opts.fragmentationThreshold, cb)
      return
    }
    const threshold = this._opts.fragmentationThreshold
    this._afterWrite(writeMessage(this._out(), 2, data, this.maskOutgoingPackets, threshold, cb))
  }

  /** @internal A data message's payload on this connection's own send path (compressed, masked as negotiated). */
  _sendPayload(opcode: number, payload: Buffer): void {
    const threshold = this._opts.fragmentationThreshold
    if (this._deflate !== null) this._deflate.send(opcode, payload, threshold, undefined)
    else this._afterWrite(writeMessage(this._out(), opcode, payload, this.maskOutgoingPackets, threshold, undefined))
  }

  // ---------------------------------------------------------------------------------------------
  // Topics (server side; see docs/topics.md)
  // ---------------------------------------------------------------------------------------------

  private _hub(): TopicHub {
    const hub = this._pubsub
    if (hub === null) throw new Error('Topics need a connection accepted by a WebSocketServer.')
    return hub
  }

  /**
   * Subscribes to `topic`: `server.publish(topic, …)` and other subscribers' `publish` reach this connection until
   * it unsubscribes or closes. Returns false when already subscribed, or when the connection has closed.
   */
  subscribe(topic: string): boolean {
    const hub = this._hub()
    checkTopic(topic)
    if (this.closeEventEmitted) return false
    return hub.registry.subscribe(this, topic)
  }

  /** Leaves `topic`; false when not subscribed to it. */
  unsubscribe(topic: string): boolean {
    const hub = this._hub()
    return hub.registry.unsubscribe(this, checkTopic(topic))
  }

  isSubscribed(topic: string): boolean {
    return this._topics?.has(topic) === true
  }

  /** The topics this connection is subscribed to (a new array). */
  get topics(): string[] {
    return this._topics === null ? [] : Array.from(this._topics)
  }

  /**
   * Sends `data` (string → text, bytes → binary) to every subscriber of `topic` but this connection — on other
   * processes too with an adapter — whether or not this connection is subscribed. Returns the local recipients.
   */
  publish(topic: string, data: PublishData): number {
    return this._hub().publish(topic, data, this)
  }

  /** Sends a ping; `data` (Buffer or anything with toString()) is cut to 125 bytes. */
  ping(data?: Buffer | { toString(): string }): void {
    if (!this._writable(undefined)) return
    this._afterWrite(writeFrame(this._out(), 0x09, controlPayload(data), this.maskOutgoingPackets))
  }

  /** Sends an unsolicited pong; `data` is cut to 125 bytes. */
  pong(data?: Buffer | { toString(): string }): void {
    if (!this._writable(undefined)) return
    this._afterWrite(writeFrame(this._out(), 0x0a, controlPayload(data), this.maskOutgoingPackets))
  }

  /** Sends a frame as built by the caller (its `mask` becomes `maskOutgoingPackets`). Returns whether it flushed. */
  sendFrame(frame: WebSocketFrame, cb?: SendCallback): boolean {
    frame.mask = this.maskOutgoingPackets
    if (!this._writable(cb)) return false
    const flushed = this._out().write(frame.toBuffer(), cb)
    this._afterWrite(flushed)
    return flushed
  }

  /** Sends a data frame's payload as a message, fragmented per config (WebSocket-Node internal). */
  fragmentAndSend(frame: WebSocketFrame, cb?: SendCallback): void {
    if (frame.opcode > 0x07) throw new Error('You cannot fragment control frames.')
    if (!this._writable(cb)) return
    const payload = frame.binaryPayload ?? EMPTY
    const threshold = this._opts.fragmentationThreshold
    this._afterWrite(writeMessage(this._out(), frame.opcode, payload, this.maskOutgoingPackets, threshold, cb))
  }

  /**
   * Sends a close frame (code + reason cut to 123 bytes; no payload for codes invalid on the wire), then
   * half-closes.
   */
  sendCloseFrame(reasonCode: number = 1000, description?: string | null, cb?: SendCallback): void {
    if (!this.socket.writable) return
    // After the messages still being compressed (RFC 6455 §5.5.1: nothing may follow a close frame).
    const deferred = this._deflate?.defer((abort) => {
      if (abort) this._writeCloseFrame(reasonCode, description, cb)
      else this.sendCloseFrame(reasonCode, description, cb)
    })
    if (deferred !== true) this._writeCloseFrame(reasonCode, description, cb)
  }

  private _writeCloseFrame(reasonCode: number, description: string | null | undefined, cb?: SendCallback): void {
    if (!this.socket.writable) return
    const payload = codec.isValidCloseCode(reasonCode)
      ? codec.encodeClosePayload(reasonCode, typeof description === 'string' ? truncateUtf8(description, 123) : '')
      : EMPTY
    // Nothing follows a close frame (§5.5.1): it goes out now, after this turn's frames, and the socket ends.
    const out = this._out()
    writeFrame(out, 0x08, payload, this.maskOutgoingPackets, cb)
    out.flush()
    this.socket.end()
  }

  private _writable(cb: SendCallback | undefined): boolean {
    const socket = this.socket
    if (socket.writable) return true
    if (cb) process.nextTick(cb, new Error('WebSocket connection is not open.'))
    return false
  }

  /** @internal After every send: `outputBufferFull`, and the `maxOutputBufferSize` cut-off. */
  _afterWrite(flushed: boolean): void {
    if (!flushed) this.outputBufferFull = true
    const max = this._opts.maxOutputBufferSize
    if (max > 0 && this.bytesWaitingToFlush > max && !this.closeEventEmitted) {
      this.drop(1008, TEXT_OUTPUT_BUFFER_FULL, true)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Closing
  // ---------------------------------------------------------------------------------------------

  /**
   * Starts the closing handshake (§7.1.2): sends a close frame and half-closes. `'close'` follows when TCP closes,
   * at the latest `closeTimeout` ms later (the socket is destroyed then). Throws 'Close code N is not valid.' for
   * codes not allowed on the wire. Does nothing unless connected.
   */
  close(reasonCode?: number, description?: string): void {
    if (!this.connected) return
    const code = typeof reasonCode === 'number' ? reasonCode : 1000
    if (!codec.isValidCloseCode(code)) throw new Error(`Close code ${code} is not valid.`)
    const desc = typeof description === 'string' ? description : (CLOSE_DESCRIPTIONS[code] ?? '')
    if (log.enabled) log('%s: close(%d, %s)', this.remoteAddress, code, desc)
    this.closeReasonCode = code
    this.closeDescription = desc
    this.setCloseTimer()
    this.waitingForCloseResponse = true
    this.sendCloseFrame(code, desc)
    this.state = STATE_ENDING
    this.connected = false
  }

  /**
   * Closes at once: sends a close frame (unless `skipCloseFrame`), emits `'close'` synchronously, stops
   * processing input. Without a close frame the socket is destroyed now; with one it is half-closed and
   * destroyed when the peer closes or after `closeTimeout`, so the frame is not lost to a TCP reset.
   */
  drop(reasonCode?: number, description?: string, skipCloseFrame?: boolean): void {
    const code = typeof reasonCode === 'number' ? reasonCode : CLOSE_REASON_PROTOCOL_ERROR
    const desc = typeof description === 'string' ? description : (CLOSE_DESCRIPTIONS[code] ?? '')
    if (log.enabled) log('%s: drop(%d, %s, skipCloseFrame %s)', this.remoteAddress, code, desc, skipCloseFrame === true)
    this.closeReasonCode = code
    this.closeDescription = desc
    this._receiver.stop()
    this._assembler?.reset()
    const sendFrame = skipCloseFrame !== true && this.socket.writable
    if (sendFrame) this._writeCloseFrame(code, desc)
    this._deflate?.stop()
    this.connected = false
    this.state = STATE_CLOSED
    this.clearCloseTimer()
    this.clearKeepaliveTimer()
    this.clearGracePeriodTimer()
    this._emitClose()
    if (sendFrame && !this.socket.destroyed) {
      // Keep reading (and discarding) so the peer's FIN is seen; destroy at the latest after closeTimeout.
      this.socket.resume()
      this.setCloseTimer()
      // The 'close' event is already out: this timer must not keep the process alive on its own.
      this._closeTimer?.unref()
    } else {
      // This turn's frames still go out as far as the socket takes them at once, as they would unbatched.
      this._outbox?.flush()
      this.socket.destroy()
    }
  }

  /** Stops reading and delivering; frames already received are delivered after `resume()`, in order. */
  pause(): void {
    // During a hold the socket is paused already and will not say so again.
    if (this._inputHeld && !this.inputPaused) this.emit('pause')
    this.inputPaused = true
    this._receiver.paused = true
    this.socket.pause()
  }

  resume(): void {
    this.inputPaused = false
    // During a hold the socket resumes when the inflation is done; its 'resume' then is this one.
    if (this._inputHeld) this._resumeOwed = true
    else this.socket.resume()
    if (this._deflate?.inflating !== true) this._receiver.resume()
  }

  /**
   * @internal Input piles up behind a message being inflated: stop reading the socket until it is delivered
   * (backpressure, as ws does). What arrives meanwhile waits in the kernel and the peer's send buffer, not in the
   * receiver's queue, which no limit bounded (issue 13: 2 GB in 6 s from one peer flooding small compressed
   * messages). At most the chunk being parsed, one more and the socket's read buffer are held in memory.
   */
  _holdInput(): void {
    if (this._inputHeld) return
    this._inputHeld = true
    this.socket.pause()
  }

  /** @internal The inflation caught up: reading continues (unless `pause()` was called). */
  _releaseInput(): void {
    if (!this._inputHeld) return
    this._inputHeld = false
    if (this.inputPaused) return
    if (this._resumeOwed) this._resumeOwed = false
    else this._quietResume = true
    this.socket.resume()
  }

  private _emitClose(): void {
    if (this.closeEventEmitted) return
    this.closeEventEmitted = true
    this.emit('close', this.closeReasonCode, this.closeDescription)
  }

  // ---------------------------------------------------------------------------------------------
  // Socket events
  // ---------------------------------------------------------------------------------------------

  /** @internal */
  _onSocketError(error: NodeJS.ErrnoException): void {
    if (log.enabled) log('%s: socket error %s %s', this.remoteAddress, error.syscall, error.code)
    this._receiver.stop()
    if (!this.closeEventEmitted) {
      this.closeReasonCode = CLOSE_REASON_ABNORMAL
      this.closeDescription = `Socket Error: ${error.syscall} ${error.code}`
      this.connected = false
      this.state = STATE_CLOSED
      if (this.listenerCount('error') > 0) this.emit('error', error)
    }
    this._outbox?.discard()
    this.socket.destroy()
  }

  /** @internal */
  _onSocketEnd(): void {
    this.receivedEnd = true
    if (this.state === STATE_CLOSED) return
    if (this.state !== STATE_PEER_REQUESTED_CLOSE && this.state !== STATE_ENDING) {
      this._outbox?.flush()
      this.socket.end()
    }
  }

  /** @internal */
  _onSocketClose(hadError: boolean): void {
    this.socketHadError = hadError
    this.connected = false
    this.state = STATE_CLOSED
    this._receiver.stop()
    this._deflate?.stop()
    this._outbox?.discard()
    if (this.closeReasonCode === -1) {
      this.closeReasonCode = CLOSE_REASON_ABNORMAL
      this.closeDescription = TEXT_DROPPED_BY_PEER
    }
    this.clearCloseTimer()
    this.clearKeepaliveTimer()
    this.clearGracePeriodTimer()
    if (log.enabled) log('%s: closed: %d %s', this.remoteAddress, this.closeReasonCode, this.closeDescription)
    this._emitClose()
  }

  /** @internal The socket's 'pause'/'resume' are re-emitted, except those of a hold (_holdInput). */
  _onSocketPause(): void {
    if (!this._inputHeld) this.emit('pause')
  }

  /** @internal */
  _onSocketResume(): void {
    if (this._quietResume) this._quietResume = false
    else this.emit('resume')
  }

  /** @internal */
  _onSocketDrain(): void {
    // Sends still waiting for compression keep the output full; the session says 'drain' when they are written.
    const deflate = this._deflate
    if (deflate !== null && deflate.queuedBytes > 0 && this.bytesWaitingToFlush >= this.socket.writableHighWaterMark) {
      return
    }
    this.outputBufferFull = false
    this._queuedPongs = 0
    this.emit('drain')
  }
}

/** The shipped `processFrame`: `_receiveFrame` skips making frame objects while it is the one in use. */
const baseProcessFrame = WebSocketConnection.prototype.processFrame

export default WebSocketConnection
