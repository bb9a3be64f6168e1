/**
 * WebSocketClient: opens a WebSocket connection (RFC 6455 §4.1) with WebSocket-Node's `client` API.
 */
import { EventEmitter } from 'node:events'
import http from 'node:http'
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import type { Url } from 'node:url'
import { resolveConnectionOptions } from './config.js'
import { logger } from './debug.js'
import type { ConnectionConfig } from './config.js'
import { buildOffer, resolveDeflateOptions } from './deflate/negotiate.js'
import type { PerMessageDeflateOptions, ResolvedDeflateOptions } from './deflate/negotiate.js'
import { WebSocketConnection } from './WebSocketConnection.js'
import type { Extension } from './WebSocketConnection.js'
import {
  buildRequestHeaders,
  makeNonce,
  normalizeProtocols,
  parseTargetUrl,
  validateResponse,
  type RequestUrl,
  type TargetUrl,
} from './client/handshake.js'

const log = logger('client')
/**
 * Client configuration (WebSocket-Node's `IClientConfig`), plus ferrosocket's additive options. The whole object
 * is handed to every connection, so the connection options (keepalive, `maxReceivedFragments`, …) apply too.
 */
export interface IClientConfig extends ConnectionConfig {
  /** Largest frame payload accepted from the server; larger → close 1009. @default 0x100000 (1 MiB) */
  maxReceivedFrameSize?: number
  /** Largest (fragmented) message accepted from the server; larger → close 1009. @default 0x800000 (8 MiB) */
  maxReceivedMessageSize?: number
  /** Split outgoing messages longer than `fragmentationThreshold` into several frames. @default true */
  fragmentOutgoingMessages?: boolean
  /** Payload bytes per outgoing frame when fragmenting. @default 0x4000 (16 KiB) */
  fragmentationThreshold?: number
  /** 13 (RFC 6455) or 8 (hybi-08, only changes the Origin header name). @default 13 */
  webSocketVersion?: number
  /** Emit whole messages (`'message'`) rather than frames (`'frame'`). @default true */
  assembleFragments?: boolean
  /** `socket.setNoDelay(true)`. @default true */
  disableNagleAlgorithm?: boolean
  /** Milliseconds to wait for the server's close frame after ours before giving up. @default 5000 */
  closeTimeout?: number
  /** Options for `https.request` on `wss:` URLs (`ca`, `rejectUnauthorized`, `headers`, …). @default {} */
  tlsOptions?: https.RequestOptions
  /**
   * ferrosocket addition: milliseconds from `connect()` to a verified 101 response; past it the attempt is
   * aborted with `connectFailed`. The original had no limit, so a server that accepted TCP and never answered
   * kept the attempt pending forever. `0` disables the limit. @default 30000
   */
  handshakeTimeout?: number
  /**
   * Client keepalive (undocumented in WebSocket-Node but honoured, issue #385): off unless set. With it on, a ping
   * goes out after `keepaliveInterval` ms without incoming data and the connection drops after
   * `keepaliveGracePeriod` more ms without a pong (`dropConnectionOnKeepaliveTimeout`). ferrosocket gives the client
   * the server's timings as defaults (the original required both and threw from the upgrade handler without them).
   * @default false
   */
  keepalive?: boolean
  /** Milliseconds without incoming data before a keepalive ping. @default 20000 */
  keepaliveInterval?: number
  /** Milliseconds to wait for the pong before dropping the connection. @default 10000 */
  keepaliveGracePeriod?: number
  /** Drop the connection when the keepalive pong does not arrive in time. @default true */
  dropConnectionOnKeepaliveTimeout?: boolean
  /**
   * ferrosocket addition: offer permessage-deflate (RFC 7692) with these settings (see
   * `PerMessageDeflateOptions`); the server's answer is checked strictly (unknown or duplicate parameters, a
   * window larger than we allowed, `client_max_window_bits` we did not offer → `connectFailed`). @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
}

/** The effective client configuration (defaults applied). */
export type ResolvedClientConfig = Required<
  Pick<
    IClientConfig,
    | 'maxReceivedFrameSize'
    | 'maxReceivedMessageSize'
    | 'fragmentOutgoingMessages'
    | 'fragmentationThreshold'
    | 'webSocketVersion'
    | 'assembleFragments'
    | 'disableNagleAlgorithm'
    | 'closeTimeout'
    | 'tlsOptions'
    | 'handshakeTimeout'
  >
> &
  IClientConfig

/** Options the library always sets itself; in `tlsOptions` they are ignored, as in the original. */
const EXCLUDED_TLS_OPTIONS = new Set(['hostname', 'port', 'method', 'path', 'headers'])

/** Node's parser flags a 101 as an upgrade; anything else on the `response` path is a refusal. */
function describeResponse(response: IncomingMessage): string {
  const lines = Object.entries(response.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
  return (
    `Server responded with a non-101 status: ${response.statusCode} ${response.statusMessage}` +
    `\nResponse Headers Follow:\n${lines.join('\n')}\n`
  )
}

export interface WebSocketClient {
  on(event: 'connect', listener: (connection: WebSocketConnection) => void): this
  on(event: 'connectFailed', listener: (error: Error) => void): this
  on(event: 'httpResponse', listener: (response: IncomingMessage, client: WebSocketClient) => void): this
  on(event: string | symbol, listener: (...args: never[]) => void): this
  once(event: 'connect', listener: (connection: WebSocketConnection) => void): this
  once(event: 'connectFailed', listener: (error: Error) => void): this
  once(event: 'httpResponse', listener: (response: IncomingMessage, client: WebSocketClient) => void): this
  once(event: string | symbol, listener: (...args: never[]) => void): this
  addListener(event: 'connect', listener: (connection: WebSocketConnection) => void): this
  addListener(event: 'connectFailed', listener: (error: Error) => void): this
  addListener(event: 'httpResponse', listener: (response: IncomingMessage, client: WebSocketClient) => void): this
  addListener(event: string | symbol, listener: (...args: never[]) => void): this
}

/**
 * A WebSocket client. Call `connect()`; exactly one of `connect`, `connectFailed` or `httpResponse` follows
 * (none after `abort()`).
 */
export class WebSocketClient extends EventEmitter {
  /** The effective configuration; handed to every connection this client creates. */
  config: ResolvedClientConfig
  /** Subprotocols requested by the last `connect()`. */
  protocols: string[] = []
  /** Origin sent by the last `connect()`. */
  origin: string | undefined
  /**
   * The URL of the last `connect()` as the original keeps it: the `url.parse` result (the legacy `Url` passed in
   * is kept as is; a WHATWG `URL` is parsed from its `href`), with `port` filled in from the scheme when absent.
   */
  url: Url | undefined
  /** The target the handshake uses (hostname without IPv6 brackets, Host header value, path). */
  private _target: TargetUrl | undefined
  /** Whether the last `connect()` used TLS. */
  secure = false
  /** The `Sec-WebSocket-Key` sent (base64 of 16 random bytes from the CSPRNG). */
  base64nonce: string | undefined
  /** The subprotocol the server selected, if any. */
  protocol: string | undefined
  /** The upgraded socket, once the server answered 101. */
  socket: Socket | undefined
  /** The 101 response. */
  response: IncomingMessage | undefined
  /** Bytes that arrived together with the 101 (handed to the connection, never dropped). */
  firstDataChunk: Buffer | null = null
  /** The most recent pending request (WebSocket-Node's field). */
  _req: ClientRequest | null = null
  private readonly _pending = new Map<ClientRequest, () => void>()

  constructor(config?: IClientConfig) {
    super()
    const user: IClientConfig = { ...(config ?? {}) }
    const tlsOptions = user.tlsOptions
    delete user.tlsOptions
    this.config = {
      maxReceivedFrameSize: 0x100000,
      maxReceivedMessageSize: 0x800000,
      fragmentOutgoingMessages: true,
      fragmentationThreshold: 0x4000,
      webSocketVersion: 13,
      assembleFragments: true,
      disableNagleAlgorithm: true,
      closeTimeout: 5000,
      handshakeTimeout: 30000,
      // The server's keepalive timings, so `keepalive: true` alone works on a client too (the original threw
      // from inside the upgrade handler, where nothing could catch it).
      keepaliveInterval: 20000,
      keepaliveGracePeriod: 10000,
      ...user,
      tlsOptions: { ...(tlsOptions ?? {}) },
    }
    if (this.config.webSocketVersion !== 8 && this.config.webSocketVersion !== 13) {
      throw new Error('Requested webSocketVersion is not supported. Allowed values are 8 and 13.')
    }
    // Bad settings fail here, where the caller can catch them, not later inside the upgrade handler.
    resolveConnectionOptions(this.config)
    resolveDeflateOptions(this.config.perMessageDeflate)
  }

  /**
   * Open a connection. Throws synchronously for a malformed URL or protocol list (the original's messages);
   * everything that happens on the network is reported through events.
   * @param requestUrl `ws://` or `wss://` URL (string, `url.parse` result or WHATWG `URL`)
   * @param requestedProtocols one subprotocol or a list; the server must pick one of them or none
   * @param origin sent as `Origin` (v13) or `Sec-WebSocket-Origin` (v8)
   * @param headers extra request headers (`Host` replaces the computed one; handshake headers cannot be overridden)
   * @param extraRequestOptions extra `http.request` options (e.g. `agent`); hostname, port, method, path and
   *   headers are always the library's
   */
  connect(
    requestUrl: RequestUrl,
    requestedProtocols?: string | string[] | null,
    origin?: string | null,
    headers?: OutgoingHttpHeaders | null,
    extraRequestOptions?: RequestOptions | null,
  ): void {
    const protocols = normalizeProtocols(requestedProtocols)
    const target = parseTargetUrl(requestUrl)
    this.protocols = protocols
    this.origin = origin ?? undefined
    this.url = target.legacy
    this._target = target
    this.secure = target.secure
    this.protocol = undefined
    const nonce = makeNonce()
    this.base64nonce = nonce
    const tls = this.config.tlsOptions
    const deflate = resolveDeflateOptions(this.config.perMessageDeflate)
    const reqHeaders = buildRequestHeaders({
      extensions: deflate ? buildOffer(deflate) : undefined,
      target,
      version: this.config.webSocketVersion,
      nonce,
      protocols,
      origin: this.origin,
      userHeaders: headers ?? undefined,
      tlsHeaders: tls.headers as OutgoingHttpHeaders | undefined,
    })
    const options: RequestOptions & https.RequestOptions = {
      agent: false,
      ...(extraRequestOptions ?? {}),
      hostname: target.hostname,
      port: target.port,
      method: 'GET',
      path: target.path,
      headers: reqHeaders,
    }
    if (target.secure) {
      for (const [k, v] of Object.entries(tls)) {
        if (!EXCLUDED_TLS_OPTIONS.has(k)) (options as Record<string, unknown>)[k] = v
      }
    }
    this._start(options, nonce, protocols, deflate)
  }

  private _start(
    options: https.RequestOptions,
    nonce: string,
    protocols: string[],
    deflate: ResolvedDeflateOptions | null,
  ): void {
    // Each connect() is its own attempt with its own nonce, timer and settled flag, so several attempts may run at
    // once (the original shared one nonce and failed all but the last). `abort()` cancels every pending attempt.
    const req = (this.secure ? https : http).request(options)
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      if (timer) clearTimeout(timer)
      this._pending.delete(req)
      if (this._req === req) this._req = null
      return true
    }
    this._req = req
    this._pending.set(req, () => {
      if (!settle()) return
      req.on('error', () => {})
      req.destroy()
    })
    const fail = (error: Error): void => {
      if (settle()) this._connectFailed(error)
    }
    req.on('error', fail)
    req.on('response', (response: IncomingMessage) => {
      if (!settle()) {
        response.destroy()
        return
      }
      if (response.statusCode === 101) {
        // Node only treats a 101 as an upgrade when `Connection` carries the token; this one is a broken handshake,
        // not an HTTP answer, so report why (the original said "non-101 status: 101").
        const check = validateResponse(response.headers, nonce, protocols, deflate)
        response.destroy()
        req.destroy()
        this._connectFailed(new Error(check.ok ? describeResponse(response) : check.message))
        return
      }
      if (this.listenerCount('httpResponse') > 0) {
        log('%s answered HTTP %d instead of 101: httpResponse', this._where(), response.statusCode)
        this.emit('httpResponse', response, this)
        response.socket?.end()
      } else {
        response.resume()
        req.destroy()
        this._connectFailed(new Error(describeResponse(response)))
      }
    })
    req.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!settle()) {
        socket.destroy()
        return
      }
      this.socket = socket
      this.response = response
      this.firstDataChunk = head
      const check = validateResponse(response.headers, nonce, protocols, deflate)
      if (!check.ok) {
        // RFC 6455 §4.1: "_Fail the WebSocket Connection_": close TCP, never speak WebSocket on it.
        socket.on('error', () => {})
        socket.destroy()
        this._connectFailed(new Error(check.message))
        return
      }
      this.protocol = check.protocol
      this._succeed(socket, head, check.protocol, check.extension ? [check.extension] : [])
    })
    const ms = this.config.handshakeTimeout
    if (ms > 0) {
      timer = setTimeout(() => {
        fail(new Error(`WebSocket opening handshake timed out after ${ms} ms`))
        req.destroy()
      }, ms)
    }
    req.end()
  }

  private _where(): string {
    const u = this._target
    return u ? `${u.protocol}//${u.hostForHeader}${u.path}` : '?'
  }

  private _connectFailed(error: Error): void {
    log('connect to %s failed: %s', this._where(), error.message)
    this.emit('connectFailed', error)
  }

  private _succeed(socket: Socket, head: Buffer, protocol: string | undefined, extensions: Extension[]): void {
    let connection: WebSocketConnection
    try {
      connection = new WebSocketConnection(socket, extensions, protocol, true, this.config)
    } catch (err) {
      // Settings are checked in the constructor; whatever still fails here must not escape the upgrade handler.
      socket.on('error', () => {})
      socket.destroy()
      this._connectFailed(err instanceof Error ? err : new Error(String(err)))
      return
    }
    connection.webSocketVersion = this.config.webSocketVersion
    connection._addSocketEventListeners()
    if (log.enabled) {
      const ext = connection.extensions.map((e) => e.name).join(', ')
      log('connected to %s (protocol %s, extensions %s)', this._where(), protocol ?? 'none', ext || 'none')
    }
    this.emit('connect', connection)
    // Frames the server sent in the same packet as its 101 (RFC 6455 §4.1 allows data right after the response).
    if (head.length > 0) connection.handleSocketData(head)
    this.firstDataChunk = null
  }

  /**
   * Cancel every connection attempt that has not produced `connect`, `connectFailed` or `httpResponse` yet; no
   * event follows for them. Does nothing otherwise.
   */
  abort(): void {
    for (const cancel of [...this._pending.values()]) cancel()
  }
}
