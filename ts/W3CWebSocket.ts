/**
 * W3CWebSocket: the WHATWG `WebSocket` interface (https://websockets.spec.whatwg.org/) over WebSocketClient,
 * with WebSocket-Node's `w3cwebsocket` constructor and quirks where code depends on them.
 */
import { Buffer } from 'node:buffer'
import type { OutgoingHttpHeaders, RequestOptions } from 'node:http'
import { WebSocketClient, type IClientConfig } from './WebSocketClient.js'
import type { IMessage, WebSocketConnection } from './WebSocketConnection.js'
import {
  SimpleEventTarget,
  WebSocketCloseEvent,
  WebSocketErrorEvent,
  WebSocketEvent,
  WebSocketMessageEvent,
} from './client/events.js'

export {
  WebSocketCloseEvent,
  WebSocketErrorEvent,
  WebSocketEvent,
  WebSocketMessageEvent,
  type EventListenerLike,
} from './client/events.js'

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** WebSocket-Node's `ICloseEvent`. */
export interface ICloseEvent {
  code: number
  reason: string
  wasClean: boolean
}

/** WebSocket-Node's `IMessageEvent`. */
export interface IMessageEvent {
  data: string | Buffer | ArrayBuffer
}

function toBuffer(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return undefined
}

/**
 * A browser-style WebSocket. It connects as soon as it is constructed.
 *
 * Event order: `open`, `message`*, then `close`; a connection that never opens gives `error` then
 * `close` (1006, 'connection failed'). `on<type>` handlers run before `addEventListener` listeners.
 */
export class W3CWebSocket extends SimpleEventTarget {
  static readonly CONNECTING = CONNECTING
  static readonly OPEN = OPEN
  static readonly CLOSING = CLOSING
  static readonly CLOSED = CLOSED
  declare readonly CONNECTING: 0
  declare readonly OPEN: 1
  declare readonly CLOSING: 2
  declare readonly CLOSED: 3

  /** Handler for `open`, run before the listeners. */
  onopen: ((event: WebSocketEvent) => void) | null = null
  /** Handler for `message`, run before the listeners. */
  onmessage: ((event: WebSocketMessageEvent) => void) | null = null
  /** Handler for `error`, run before the listeners. */
  onerror: ((event: WebSocketErrorEvent) => void) | null = null
  /** Handler for `close`, run before the listeners. */
  onclose: ((event: WebSocketCloseEvent) => void) | null = null

  _url: string
  _readyState: number = CONNECTING
  _protocol = ''
  _binaryType = 'arraybuffer' as const
  _connection: WebSocketConnection | undefined
  _client: WebSocketClient
  private _error: Error | undefined

  /**
   * @param url `ws://` or `wss://` URL
   * @param protocols subprotocol or list of subprotocols
   * @param origin `Origin` header value
   * @param headers extra request headers
   * @param requestOptions extra `http.request` options
   * @param clientConfig WebSocketClient configuration (`assembleFragments` is forced to true)
   */
  constructor(
    url: string,
    protocols?: string | string[] | null,
    origin?: string | null,
    headers?: OutgoingHttpHeaders | null,
    requestOptions?: RequestOptions | null,
    clientConfig?: IClientConfig | null,
  ) {
    super()
    this._url = url
    this._client = new WebSocketClient({ ...(clientConfig ?? {}), assembleFragments: true })
    this._client.on('connect', (connection) => this._onConnect(connection))
    this._client.on('connectFailed', (error) => this._onConnectFailed(error))
    this._client.connect(url, protocols, origin, headers, requestOptions)
  }

  /** The URL given to the constructor. */
  get url(): string {
    return this._url
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): number {
    return this._readyState
  }

  /** The subprotocol the server selected; `''` before open or when none was selected (WHATWG). */
  get protocol(): string {
    return this._protocol
  }

  /**
   * The extensions the server agreed to, as WHATWG defines it (the `Sec-WebSocket-Extensions` value, e.g.
   * `'permessage-deflate; server_no_context_takeover'`); `''` before open or when none was negotiated. Only
   * permessage-deflate exists, offered when `clientConfig.perMessageDeflate` is set. The original always gave `[]`.
   */
  get extensions(): string {
    const agreed = this._connection?.extensions ?? []
    return agreed
      .map((e) => [e.name, ...e.params.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`))].join('; '))
      .join(', ')
  }

  /** Bytes queued on the socket and not yet written (the original always said 0). */
  get bufferedAmount(): number {
    return this._connection?.bytesWaitingToFlush ?? 0
  }

  /** Always `'arraybuffer'`; Node has no Blob-backed message path. Other values throw SyntaxError. */
  get binaryType(): 'arraybuffer' {
    return this._binaryType
  }

  set binaryType(type: string) {
    if (type !== 'arraybuffer') throw new SyntaxError('just "arraybuffer" type allowed for "binaryType" attribute')
  }

  /**
   * Send a string (text frame) or binary data (Buffer, ArrayBuffer, typed array, DataView). Any other value is sent
   * as its string form. Throws unless OPEN (as the original).
   */
  send(data: string | Buffer | ArrayBuffer | ArrayBufferView | { toString(): string }): void {
    const connection = this._connection
    if (this._readyState !== OPEN || !connection) throw new Error('cannot call send() while not connected')
    const binary = toBuffer(data)
    if (binary) connection.sendBytes(binary)
    else connection.sendUTF(String(data))
  }

  /**
   * Start the closing handshake. `code` must be 1000 or 3000–4999 (else `InvalidAccessError`), `reason` at most 123
   * UTF-8 bytes (else `SyntaxError`), per WHATWG. While CONNECTING the attempt is aborted and `error` then `close`
   * (1006) follow on a later tick.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new DOMException(`The close code must be 1000 or in 3000-4999; got ${code}.`, 'InvalidAccessError')
    }
    if (reason !== undefined && Buffer.byteLength(reason, 'utf8') > 123) {
      throw new DOMException('The close reason must not be longer than 123 UTF-8 bytes.', 'SyntaxError')
    }
    if (this._readyState === CONNECTING) {
      this._readyState = CLOSING
      this._client.abort()
      const error = new Error('WebSocket was closed before the connection was established')
      process.nextTick(() => this._onConnectFailed(error))
      return
    }
    if (this._readyState !== OPEN || !this._connection) return
    this._readyState = CLOSING
    if (code === undefined) this._connection.close()
    else this._connection.close(code, reason ?? '')
  }

  private _onConnect(connection: WebSocketConnection): void {
    this._client.removeAllListeners()
    this._connection = connection
    this._readyState = OPEN
    this._protocol = connection.protocol ?? ''
    connection.on('message', (message: IMessage) => this._onMessage(message))
    connection.on('error', (error: Error) => {
      this._error = error
    })
    connection.on('close', (code: number, description: string) => this._onClose(code, description))
    this.dispatchEvent(new WebSocketEvent('open'))
  }

  private _onConnectFailed(error: Error): void {
    if (this._readyState === CLOSED) return
    this._client.removeAllListeners()
    this._readyState = CLOSED
    this.dispatchEvent(new WebSocketErrorEvent(error))
    this.dispatchEvent(new WebSocketCloseEvent(1006, 'connection failed', false))
  }

  private _onMessage(message: IMessage): void {
    if (this._readyState !== OPEN && this._readyState !== CLOSING) return
    // The original tested `if (message.utf8Data)` and so dropped empty text messages.
    if (message.type === 'utf8') {
      this.dispatchEvent(new WebSocketMessageEvent(message.utf8Data ?? ''))
    } else if (message.binaryData) {
      const b = message.binaryData
      const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
      this.dispatchEvent(new WebSocketMessageEvent(ab))
    }
  }

  private _onClose(code: number, description: string | undefined): void {
    const connection = this._connection
    if (connection) {
      connection.removeAllListeners('message')
      connection.removeAllListeners('close')
    }
    this._readyState = CLOSED
    if (this._error) this.dispatchEvent(new WebSocketErrorEvent(this._error))
    // wasClean follows the original (1000, or no code); see the README for the WHATWG difference.
    this.dispatchEvent(new WebSocketCloseEvent(code, description ?? '', code === undefined || code === 1000))
  }
}

for (const [name, value] of [
  ['CONNECTING', CONNECTING],
  ['OPEN', OPEN],
  ['CLOSING', CLOSING],
  ['CLOSED', CLOSED],
] as const) {
  Object.defineProperty(W3CWebSocket.prototype, name, { value, enumerable: true })
}
