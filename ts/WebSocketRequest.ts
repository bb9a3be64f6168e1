/**
 * WebSocketRequest: one opening handshake (RFC 6455 §4.2) waiting for the application to accept or reject it.
 * Same properties, events and error texts as WebSocket-Node's; the differences are listed on each member.
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { parse as parseLegacyUrl, type UrlWithParsedQuery } from 'node:url'
import { Deprecation } from './Deprecation.js'
import { logger } from './debug.js'
import { WebSocketConnection } from './WebSocketConnection.js'
import type { IServerConfig } from './WebSocketServer.js'
import { formatSetCookies, parseCookies, type ICookie, type IParsedCookie } from './handshake/cookies.js'
import { acceptOffer, resolveDeflateOptions } from './deflate/negotiate.js'
import { parseExtensions, type IRequestedExtension } from './handshake/extensions.js'
import { firstNonTokenChar, parseProtocols } from './handshake/protocols.js'
import {
  buildRejectResponse,
  computeAcceptKey,
  encodeResponse,
  sanitizeHeaderText,
  type ExtraHeaders,
} from './handshake/response.js'
import { splitList } from './handshake/split.js'

const deflateLog = logger('deflate')

/** An Error thrown by `readHandshake`: `httpCode` is the status to refuse with, `headers` extra response headers. */
export interface HandshakeError extends Error {
  httpCode?: number
  headers?: Record<string, string>
}

function handshakeError(message: string, httpCode = 400, headers?: Record<string, string>): HandshakeError {
  const e: HandshakeError = new Error(message)
  e.httpCode = httpCode
  if (headers) e.headers = headers
  return e
}

/** RFC 6455 §4.1: the key is the base64 encoding of a 16-byte nonce, so exactly 22 base64 characters then `==`. */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/

/** True when one comma-separated item of the Upgrade header is `websocket` (RFC 6455 §4.2.1 item 3, any case). */
function upgradesToWebSocket(header: string | undefined): boolean {
  if (!header) return false
  return splitList(header, ',').some((item) => item.trim().toLowerCase() === 'websocket')
}

export interface WebSocketRequest {
  on(event: 'requestAccepted', listener: (connection: WebSocketConnection) => void): this
  on(event: 'requestResolved' | 'requestRejected', listener: (request: this) => void): this
  on(event: string | symbol, listener: (...args: never[]) => void): this
  once(event: 'requestAccepted', listener: (connection: WebSocketConnection) => void): this
  once(event: 'requestResolved' | 'requestRejected', listener: (request: this) => void): this
  once(event: string | symbol, listener: (...args: never[]) => void): this
}

/**
 * A WebSocket opening handshake. Created by WebSocketServer for every `'upgrade'`; usable standalone as
 * `new WebSocketRequest(socket, httpRequest, config, head)` followed by `readHandshake()`.
 *
 * Events: `'requestResolved'` (request) fires first on accept or reject, then `'requestAccepted'` (connection)
 * or `'requestRejected'` (request).
 */
export class WebSocketRequest extends EventEmitter {
  /** The upgrade socket. */
  socket: Socket
  /** The original Node HTTP request. */
  httpRequest: IncomingMessage
  /** The request target as sent (`httpRequest.url`). */
  resource: string
  /** `url.parse(resource, true)`: the legacy Url object with `query` parsed. Set by `readHandshake`. */
  resourceURL!: UrlWithParsedQuery
  /** The Host header. */
  host!: string
  /** The Sec-WebSocket-Key header. */
  key!: string
  /**
   * The client's address. Unless `ignoreXForwardedFor` is set this is the LEFT-MOST X-Forwarded-For entry, which
   * the client itself can write: only trust it behind a proxy you control (WebSocket-Node default, #80/#142).
   */
  remoteAddress: string
  /** X-Forwarded-For entries followed by the socket's own address (always last), or just the socket's address. */
  remoteAddresses: string[]
  /** 8 or 13. */
  webSocketVersion!: number
  /**
   * The `Origin` header (version 13) or `Sec-WebSocket-Origin` (version 8). Undefined at run time for clients that
   * send none (non-browser clients), as in the original; declared `string` as `@types/websocket` declares it, so
   * its README pattern `originIsAllowed(request.origin)` compiles. Check it before trusting it.
   */
  origin!: string
  /** The offered extensions (`parseExtensions` on); only permessage-deflate is negotiated, if enabled. */
  requestedExtensions: IRequestedExtension[] = []
  /** The offered subprotocols, lower-cased, in the client's order. */
  requestedProtocols: string[] = []
  /** Lower-cased protocol → the client's spelling. Null prototype, so `__proto__` is just a name. */
  protocolFullCaseMap: { [lowerCased: string]: string } = Object.create(null) as { [lowerCased: string]: string }
  /** The request's cookies (`parseCookies` on). `value` is null at run time for a pair without `=`. */
  cookies: IParsedCookie[] = []
  /** The server configuration (shared by reference, as in WebSocket-Node). */
  serverConfig: IServerConfig
  _resolved = false
  _socketIsClosing = false
  /** Bytes that arrived with the handshake (the `'upgrade'` event's `head`); fed to the connection on accept. */
  private readonly _head: Buffer | undefined
  private readonly _socketCloseHandler = (): void => this._handleSocketCloseBeforeAccept()
  /**
   * Kept on the socket until the connection has its own 'error' listener: an ECONNRESET while the handshake is
   * pending or being refused must not crash the process (WebSocket-Node #407/#458).
   */
  private readonly _socketErrorHandler = (): void => {
    this._socketIsClosing = true
  }

  constructor(socket: Socket, httpRequest: IncomingMessage, serverConfig: IServerConfig, head?: Buffer) {
    super()
    this.socket = socket
    this.httpRequest = httpRequest
    this.resource = httpRequest.url ?? '/'
    this.remoteAddress = socket.remoteAddress ?? ''
    this.remoteAddresses = [this.remoteAddress]
    this.serverConfig = serverConfig
    this._head = head
    socket.on('end', this._socketCloseHandler)
    socket.on('close', this._socketCloseHandler)
    socket.on('error', this._socketErrorHandler)
    if (socket.destroyed) this._socketIsClosing = true
  }

  /** @deprecated Use `webSocketVersion`. Prints a one-time deprecation warning through `deprecation`. */
  get websocketVersion(): number {
    Deprecation.warn('websocketVersion')
    return this.webSocketVersion
  }

  /**
   * Parses and validates the handshake; throws a `HandshakeError` (`httpCode`, and `headers` for 426) to refuse.
   * The original's checks and messages come first, in its order. Stricter than WebSocket-Node (400 each):
   * the method must be GET, `Upgrade` must name `websocket`, `Sec-WebSocket-Key` must be base64 of 16 bytes.
   * An unsupported version answers `Sec-WebSocket-Version: 13, 8` (the original listed only 13).
   * A malformed `%` escape in a cookie throws the URIError ('URI malformed', httpCode 400).
   */
  readHandshake(): void {
    const headers = this.httpRequest.headers
    this.resourceURL = parseLegacyUrl(this.resource, true)

    const host = headers.host
    if (!host) throw handshakeError('Client must provide a Host header.')
    this.host = host

    const key = headers['sec-websocket-key']
    if (!key) throw handshakeError('Client must provide a value for Sec-WebSocket-Key.')
    this.key = key

    const version = parseInt(String(headers['sec-websocket-version']), 10)
    this.webSocketVersion = version
    if (!version) throw handshakeError('Client must provide a value for Sec-WebSocket-Version.')
    if (version !== 8 && version !== 13) {
      // The original's message, missing space included; the header lists both versions (RFC 6455 §4.4).
      const message = `Unsupported websocket client version: ${version}Only versions 8 and 13 are supported.`
      throw handshakeError(message, 426, { 'Sec-WebSocket-Version': '13, 8' })
    }
    if (this.httpRequest.method !== 'GET') throw handshakeError('Invalid HTTP method: the handshake must use GET.')
    if (!upgradesToWebSocket(headers.upgrade)) throw handshakeError('Invalid Upgrade header: expected "websocket".')
    if (!KEY_PATTERN.test(key)) {
      throw handshakeError('Invalid Sec-WebSocket-Key: it must be the base64 encoding of 16 bytes.')
    }

    const origin = version === 13 ? headers.origin : headers['sec-websocket-origin']
    this.origin = (Array.isArray(origin) ? origin.join(', ') : origin) as string

    const offer = parseProtocols(headers['sec-websocket-protocol'])
    this.requestedProtocols = offer.requested
    this.protocolFullCaseMap = offer.fullCase

    const xff = headers['x-forwarded-for']
    if (!this.serverConfig.ignoreXForwardedFor && xff) {
      const peer = this.remoteAddress
      this.remoteAddresses = splitList(String(xff), ',')
      this.remoteAddresses.push(peer)
      this.remoteAddress = this.remoteAddresses[0] as string
    }

    this.requestedExtensions = this.serverConfig.parseExtensions
      ? this.parseExtensions(headers['sec-websocket-extensions'])
      : []
    try {
      this.cookies = this.serverConfig.parseCookies ? this.parseCookies(headers.cookie) : []
    } catch (e) {
      if (e instanceof URIError) (e as HandshakeError).httpCode = 400
      throw e
    }
  }

  /** WebSocket-Node's extension-offer parser (linear; see `handshake/extensions.ts`). */
  parseExtensions(extensionsString: string | undefined): IRequestedExtension[] {
    return parseExtensions(extensionsString)
  }

  /** WebSocket-Node's cookie parser (linear; see `handshake/cookies.ts`). Throws URIError on a bad `%` escape. */
  parseCookies(str: string | undefined): IParsedCookie[] {
    return parseCookies(str)
  }

  /**
   * Completes the handshake with `101 Switching Protocols` and returns the connection (even if the socket already
   * died: it then emits `'close'` 1006 'TCP connection lost before handshake completed.' on the next tick).
   *
   * - `acceptedProtocol` must be one the client offered, compared case-insensitively as WebSocket-Node's docs
   *   promise (its code compared case-sensitively, so `accept('Chat')` for an offered `Chat` failed). The header
   *   echoes the client's spelling; `connection.protocol` is lower-cased. Otherwise: reject(500) and throw.
   *   Without one (`null`, `undefined`, `''`), `connection.protocol` is the value passed, as in the original.
   * - `allowedOrigin`, when given, is echoed as `Origin:` (v13) or `Sec-WebSocket-Origin:` (v8). Stricter than
   *   WebSocket-Node: if the request carries an origin that differs (case-insensitively), reject(500) and throw
   *   'Specified origin does not match the origin of the request.' — checking `request.origin` and calling
   *   `reject(403)` yourself remains the way to refuse foreign pages (CSWSH).
   * - `cookies` become `Set-Cookie` lines, validated with WebSocket-Node's rules and messages (reject(500), throw).
   */
  accept(
    acceptedProtocol?: string | null,
    allowedOrigin?: string | null,
    cookies?: ICookie[] | null,
  ): WebSocketConnection {
    this._verifyResolution()
    let response =
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${computeAcceptKey(String(this.key))}\r\n`
    let protocol: string | null | undefined = acceptedProtocol
    let extensions: IRequestedExtension[] = []
    try {
      // RFC 7692 §5: answer the first acceptable permessage-deflate offer, only when the server enables it.
      const deflate = resolveDeflateOptions(this.serverConfig.perMessageDeflate)
      const agreed = deflate ? acceptOffer(this.httpRequest.headers['sec-websocket-extensions'], deflate) : null
      if (agreed !== null) {
        response += `Sec-WebSocket-Extensions: ${agreed.header}\r\n`
        extensions = [agreed.extension]
      }
      if (deflate && deflateLog.enabled) {
        const offer = this.httpRequest.headers['sec-websocket-extensions'] ?? '(none)'
        deflateLog('offer %s → %s', offer, agreed ? agreed.header : 'declined')
      }
      if (acceptedProtocol) {
        const lowerCased = String(acceptedProtocol).toLowerCase()
        const fullCase = this.protocolFullCaseMap[lowerCased] ?? String(acceptedProtocol)
        const bad = firstNonTokenChar(fullCase)
        if (bad !== undefined) throw new Error(`Illegal character "${bad}" in subprotocol.`)
        if (!this.requestedProtocols.includes(lowerCased)) {
          throw new Error('Specified protocol was not requested by the client.')
        }
        response += `Sec-WebSocket-Protocol: ${fullCase}\r\n`
        protocol = lowerCased
      }
      if (allowedOrigin) {
        const allowed = String(allowedOrigin)
        if (this.origin !== undefined && this.origin.toLowerCase() !== allowed.toLowerCase()) {
          throw new Error('Specified origin does not match the origin of the request.')
        }
        if (this.webSocketVersion === 13) response += `Origin: ${sanitizeHeaderText(allowed)}\r\n`
        else if (this.webSocketVersion === 8) response += `Sec-WebSocket-Origin: ${sanitizeHeaderText(allowed)}\r\n`
      }
      if (cookies) response += formatSetCookies(cookies)
    } catch (e) {
      this.reject(500)
      throw e
    }

    this._resolved = true
    this.emit('requestResolved', this)
    response += '\r\n'

    const socket = this.socket
    let connection: WebSocketConnection
    try {
      connection = new WebSocketConnection(socket, extensions, protocol, false, this.serverConfig)
    } catch (e) {
      socket.destroy()
      throw e
    }
    connection.webSocketVersion = this.webSocketVersion
    connection.remoteAddress = this.remoteAddress
    // The usual [socket address] is left for the connection to create if it is ever read (idle memory).
    const addresses = this.remoteAddresses
    const trivial = addresses.length === 1 && addresses[0] === (socket.remoteAddress ?? '')
    connection._remoteAddresses = trivial ? null : addresses
    // Should the connection ever clear the socket's 'error' listeners, keep ours until the 101 is written.
    if (!socket.listeners('error').includes(this._socketErrorHandler)) socket.on('error', this._socketErrorHandler)

    if (this._socketIsClosing || socket.destroyed) {
      this._lostBeforeHandshake(connection)
    } else {
      socket.write(encodeResponse(response), (error) => {
        if (error || this._socketIsClosing || socket.destroyed) {
          this._lostBeforeHandshake(connection)
          return
        }
        this._removeSocketCloseListeners()
        connection._addSocketEventListeners()
        socket.removeListener('error', this._socketErrorHandler)
        // Bytes pipelined with the handshake belong to the connection (WebSocket-Node dropped them).
        const head = this._head
        if (head && head.length > 0) connection.handleSocketData(head)
      })
    }
    this.emit('requestAccepted', connection)
    return connection
  }

  /**
   * Refuses the handshake: `HTTP/1.1 <status> <text>`, `Connection: close`, `X-WebSocket-Reject-Reason` when a
   * reason is given, the extra headers, no body. CR/LF/NUL are removed from the reason and from header names and
   * values; `:` from header names. `status` defaults to 403 when it is not an integer 100–999.
   * After the response, incoming bytes are discarded and the socket is destroyed if the client has not closed
   * it within `closeTimeout` ms (the original could leave it half-open forever).
   */
  reject(status?: number, reason?: string, extraHeaders?: ExtraHeaders | null): void {
    this._verifyResolution()
    this._resolved = true
    this.emit('requestResolved', this)
    const code = typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 999 ? status : 403
    const socket = this.socket
    if (!socket.destroyed) {
      socket.end(encodeResponse(buildRejectResponse(code, reason, extraHeaders)))
      // Read (and drop) whatever the client still sends so its FIN is seen and the socket can close.
      socket.resume()
      const timeout = typeof this.serverConfig.closeTimeout === 'number' ? this.serverConfig.closeTimeout : 5000
      const timer = setTimeout(() => socket.destroy(), timeout)
      timer.unref()
      socket.once('close', () => clearTimeout(timer))
    }
    this.emit('requestRejected', this)
  }

  _handleSocketCloseBeforeAccept(): void {
    this._socketIsClosing = true
    this._removeSocketCloseListeners()
  }

  _removeSocketCloseListeners(): void {
    this.socket.removeListener('end', this._socketCloseHandler)
    this.socket.removeListener('close', this._socketCloseHandler)
  }

  _verifyResolution(): void {
    if (this._resolved) throw new Error('WebSocketRequest may only be accepted or rejected one time.')
  }

  /** 'close' (1006, 'TCP connection lost before handshake completed.') on the next tick, no close frame. */
  private _lostBeforeHandshake(connection: WebSocketConnection): void {
    connection._handleSocketCloseBeforeAccept()
  }
}

export default WebSocketRequest
