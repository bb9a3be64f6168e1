/**
 * WebSocketServer: mounts on one or more Node http(s) servers, turns every `'upgrade'` into a WebSocketRequest and
 * tracks the resulting connections. API, defaults, events and dispatch rules are WebSocket-Node's.
 */
import { Buffer } from 'node:buffer'
import { EventEmitter } from 'node:events'
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import type { WebSocketConnection } from './WebSocketConnection.js'
import { resolveConnectionOptions } from './config.js'
import type { ConnectionConfig } from './config.js'
import { broadcastMessage } from './connection/broadcast.js'
import { utf8Bytes } from './connection/text.js'
import { resolveDeflateOptions } from './deflate/negotiate.js'
import type { PerMessageDeflateOptions } from './deflate/negotiate.js'
import { logger } from './debug.js'
import { WebSocketRequest } from './WebSocketRequest.js'
import type { PubSubAdapter } from './pubsub/adapter.js'
import { TopicHub } from './pubsub/hub.js'
import type { PublishData } from './pubsub/hub.js'

/** Something with a `toString()`, sent as text by `broadcast`/`broadcastUTF`. */
export interface IStringified {
  toString: (...args: never[]) => string
}

/**
 * Server configuration (WebSocket-Node's `IServerConfig`, plus `parseCookies`/`parseExtensions`, which it had but
 * its typings missed, and ferrosocket's additive `pendingRequestTimeout`). The object is shared by reference
 * with every request and connection, so the connection's own additive limits (`maxReceivedFragments`,
 * `maxPendingPongs`, `maxOutputBufferSize`, see ConnectionConfig) are set here too.
 */
export interface IServerConfig extends ConnectionConfig {
  /** Required: the http/https server(s) whose `'upgrade'` events to handle. */
  httpServer: HttpServer | HttpsServer | Array<HttpServer | HttpsServer>
  /** Largest frame payload accepted, checked from the header before buffering. Larger → 1009. @default 0x10000 */
  maxReceivedFrameSize?: number
  /** Largest (fragmented) message accepted. Larger → 1009. @default 0x100000 (1 MiB) */
  maxReceivedMessageSize?: number
  /** Split outgoing messages longer than `fragmentationThreshold`. @default true */
  fragmentOutgoingMessages?: boolean
  /** Payload bytes per outgoing frame when fragmenting. @default 0x4000 (16 KiB) */
  fragmentationThreshold?: number
  /** Ping idle clients every `keepaliveInterval` ms (any received byte resets the timer). @default true */
  keepalive?: boolean
  /** @default 20000 */
  keepaliveInterval?: number
  /** Drop (1006 'Peer not responding.') a client silent for `keepaliveGracePeriod` ms after a ping. @default true */
  dropConnectionOnKeepaliveTimeout?: boolean
  /** @default 10000 */
  keepaliveGracePeriod?: number
  /** Use TCP keep-alive (`socket.setKeepAlive`) instead of pings. @default false */
  useNativeKeepalive?: boolean
  /** Emit whole messages (`'message'`) rather than frames (`'frame'`). @default true */
  assembleFragments?: boolean
  /**
   * Accept every handshake with the first offered protocol and the request's own origin, from any origin:
   * only for trusted clients (it defeats origin checks, CWE-1385). @default false
   */
  autoAcceptConnections?: boolean
  /**
   * Ignore X-Forwarded-For. By default it is trusted and `remoteAddress` is its left-most entry, which any
   * client can forge: set this to true unless a proxy you control sets the header. @default false
   */
  ignoreXForwardedFor?: boolean
  /** Parse the Cookie header into `request.cookies`. @default true */
  parseCookies?: boolean
  /** Parse Sec-WebSocket-Extensions into `request.requestedExtensions`. @default true */
  parseExtensions?: boolean
  /** `socket.setNoDelay(true)`. @default true */
  disableNagleAlgorithm?: boolean
  /** Milliseconds to wait for the peer's close frame; also how long a refused handshake may linger. @default 5000 */
  closeTimeout?: number
  /**
   * ferrosocket addition: milliseconds a request may stay neither accepted nor rejected before it is refused with
   * `408 Request Timeout`. A handler that never answers otherwise keeps the socket open forever. `0` = no limit.
   * @default 0
   */
  pendingRequestTimeout?: number
  /**
   * ferrosocket addition: permessage-deflate (RFC 7692). `false` (default): never negotiated. `true` or options:
   * the first acceptable offer of each request is answered in `accept()` (see `PerMessageDeflateOptions`);
   * `connection.extensions` then shows the agreed parameters. @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
  /**
   * ferrosocket addition: carries topics between processes (e.g. `ferrosocket/redis`): `publish` reaches the
   * subscribers of every server sharing the transport. Its faults are emitted as `'adapterError'`. See
   * docs/topics.md.
   */
  adapter?: PubSubAdapter
}

/** The options `mount` gives a default to. */
type DefaultedOption =
  | Exclude<keyof IServerConfig, 'httpServer' | 'adapter' | keyof ConnectionConfig>
  | keyof ServerDefaultsOfConnection
type ServerDefaultsOfConnection = Omit<
  ConnectionConfig,
  'maxReceivedFragments' | 'maxPendingPongs' | 'maxOutputBufferSize' | 'perMessageDeflate'
>

/** The effective configuration after `mount`: defaults applied, `httpServer` always an array. */
export type ResolvedServerConfig = Omit<IServerConfig, 'httpServer'> &
  Required<Pick<IServerConfig, DefaultedOption>> & {
    httpServer: Array<HttpServer | HttpsServer>
  }

const PENDING_TIMEOUT_REASON = 'The WebSocket request was neither accepted nor rejected in time.'
/** Requests, refused upgrades, connections (`DEBUG=ferrosocket:server`). */
const log = logger('server')

/**
 * One `'close'` listener for all connections of a server (`this` is the connection), removing itself as `once`
 * would: a closure and a once-wrapper per connection were ~250 bytes of every idle connection (issue 7).
 */
function connectionCloseListener(
  server: WebSocketServer,
): (this: WebSocketConnection, code: number, description: string) => void {
  const listener = function (this: WebSocketConnection, code: number, description: string): void {
    this.removeListener('close', listener)
    server.handleConnectionClose(this, code, description)
  }
  return listener
}

export interface WebSocketServer {
  on(event: 'request', listener: (request: WebSocketRequest) => void): this
  on(event: 'connect', listener: (connection: WebSocketConnection) => void): this
  on(event: 'close', listener: (connection: WebSocketConnection, reason: number, description: string) => void): this
  on(event: 'upgradeError', listener: (error: Error) => void): this
  on(event: 'adapterError', listener: (error: Error) => void): this
  on(event: string | symbol, listener: (...args: never[]) => void): this
  once(event: 'request', listener: (request: WebSocketRequest) => void): this
  once(event: 'connect', listener: (connection: WebSocketConnection) => void): this
  once(event: 'close', listener: (connection: WebSocketConnection, reason: number, description: string) => void): this
  once(event: 'upgradeError', listener: (error: Error) => void): this
  once(event: 'adapterError', listener: (error: Error) => void): this
  once(event: string | symbol, listener: (...args: never[]) => void): this
  addListener(event: 'request', listener: (request: WebSocketRequest) => void): this
  addListener(event: 'connect', listener: (connection: WebSocketConnection) => void): this
  addListener(
    event: 'close',
    listener: (connection: WebSocketConnection, reason: number, description: string) => void,
  ): this
  addListener(event: 'upgradeError', listener: (error: Error) => void): this
  addListener(event: 'adapterError', listener: (error: Error) => void): this
  addListener(event: string | symbol, listener: (...args: never[]) => void): this
}

/**
 * The WebSocket server. Events:
 * - `'request'` (request): a valid handshake, when someone listens and `autoAcceptConnections` is off. Without a
 *   listener (and no auto-accept) the handshake is refused with 404 'No handler is configured to accept the
 *   connection.'
 * - `'connect'` (connection): emitted synchronously inside `accept()`, before the 101 is flushed.
 * - `'close'` (connection, code, description).
 * - `'upgradeError'` (error): a handshake was refused by `readHandshake` (with `error.httpCode`, 400 or 426), or
 *   an auto-accept failed (500).
 * - `'adapterError'` (error): a fault of the pub/sub `adapter` (never `'error'`, which would throw unheard).
 */
export class WebSocketServer extends EventEmitter {
  /** The effective configuration; undefined until `mount`. */
  config: ResolvedServerConfig | undefined
  /** Open connections. */
  connections: WebSocketConnection[] = []
  /** Requests neither accepted nor rejected yet. */
  pendingRequests: WebSocketRequest[] = []
  _handlers = {
    upgrade: (request: IncomingMessage, socket: Duplex, head?: Buffer): void =>
      this.handleUpgrade(request, socket as Socket, head),
    requestAccepted: (connection: WebSocketConnection): void => this.handleRequestAccepted(connection),
    requestResolved: (request: WebSocketRequest): void => this.handleRequestResolved(request),
    connectionClose: connectionCloseListener(this),
  }
  /** @internal Topics (see pubsub/hub.ts). */
  readonly _pubsub = new TopicHub(this)

  constructor(serverConfig?: IServerConfig) {
    super()
    if (serverConfig) this.mount(serverConfig)
  }

  /**
   * Applies the defaults, then the given options (shallow), and listens for `'upgrade'` on every httpServer.
   * Throws 'You must specify an httpServer on which to mount the WebSocket server.' without one, and — earlier
   * than WebSocket-Node, which threw from the first `accept()` — the keepalive option errors.
   */
  mount(serverConfig: IServerConfig): void {
    const config = {
      httpServer: null as unknown,
      maxReceivedFrameSize: 0x10000,
      maxReceivedMessageSize: 0x100000,
      fragmentOutgoingMessages: true,
      fragmentationThreshold: 0x4000,
      keepalive: true,
      keepaliveInterval: 20000,
      dropConnectionOnKeepaliveTimeout: true,
      keepaliveGracePeriod: 10000,
      useNativeKeepalive: false,
      assembleFragments: true,
      autoAcceptConnections: false,
      ignoreXForwardedFor: false,
      parseCookies: true,
      parseExtensions: true,
      disableNagleAlgorithm: true,
      closeTimeout: 5000,
      pendingRequestTimeout: 0,
    } as Record<string, unknown>
    if (serverConfig && typeof serverConfig === 'object') {
      for (const key of Object.keys(serverConfig)) {
        // A JSON-parsed `__proto__` key would otherwise replace the config object's prototype.
        if (key !== '__proto__') config[key] = (serverConfig as unknown as Record<string, unknown>)[key]
      }
    }
    const resolved = config as unknown as ResolvedServerConfig
    this.config = resolved
    if (!config.httpServer) throw new Error('You must specify an httpServer on which to mount the WebSocket server.')
    if (!Array.isArray(config.httpServer)) resolved.httpServer = [config.httpServer as HttpServer]
    // Bad keepalive settings, limits and permessage-deflate settings fail here, not at the first accept().
    resolveConnectionOptions(resolved)
    resolveDeflateOptions(resolved.perMessageDeflate)
    if (resolved.adapter !== undefined) this._pubsub.attach(resolved.adapter)
    for (const httpServer of resolved.httpServer) httpServer.on('upgrade', this._handlers.upgrade)
  }

  /** Stops handling upgrades. Existing connections are left alone. */
  unmount(): void {
    for (const httpServer of this.config?.httpServer ?? []) httpServer.removeListener('upgrade', this._handlers.upgrade)
  }

  /** `close()` every connection and refuse every pending request with 503 (each on the next tick). */
  closeAllConnections(): void {
    for (const connection of this.connections.slice()) connection.close()
    for (const request of this.pendingRequests.slice()) {
      process.nextTick(() => {
        if (!request._resolved) request.reject(503)
      })
    }
  }

  /** A Buffer goes out as binary, anything else with `toString()` as text, to every connection. */
  broadcast(data: Buffer | IStringified): void {
    if (Buffer.isBuffer(data)) this.broadcastBytes(data)
    else if (typeof data.toString === 'function') this.broadcastUTF(data)
  }

  /**
   * Sends `utfData.toString()` as a text message to every open connection: the same bytes as `sendUTF` on each,
   * framed once (see connection/broadcast.ts).
   */
  broadcastUTF(utfData: IStringified): void {
    if (this.connections.length === 0) return
    const text = utfData.toString()
    broadcastMessage(this.connections.slice(), 0x01, utf8Bytes(text))
  }

  /** Sends a binary message to every open connection: the same bytes as `sendBytes` on each, framed once. */
  broadcastBytes(binaryData: Buffer): void {
    if (this.connections.length === 0) return
    if (!Buffer.isBuffer(binaryData)) {
      throw new Error('You must pass a Node Buffer object to WebSocketConnection.prototype.sendBytes()')
    }
    broadcastMessage(this.connections.slice(), 0x02, binaryData)
  }

  /**
   * Sends `data` (string → text, Buffer/ArrayBuffer/typed array → binary) to every connection subscribed to
   * `topic`, framed once; with an `adapter`, to the subscribers of the other processes too. Returns the number of
   * local recipients. See docs/topics.md.
   */
  publish(topic: string, data: PublishData): number {
    return this._pubsub.publish(topic, data, null)
  }

  /** Connections of this server subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this._pubsub.registry.count(topic)
  }

  /**
   * `unmount()` then `closeAllConnections()`; with an `adapter`, also closes it (the returned promise resolves
   * when it has; its faults are `'adapterError'` events). The http server itself stays open.
   */
  shutDown(): Promise<void> {
    this.unmount()
    this.closeAllConnections()
    return this._pubsub.close()
  }

  /** The `'upgrade'` listener. `head` (bytes after the request headers) is handed to the connection on accept. */
  handleUpgrade(request: IncomingMessage, socket: Socket, head?: Buffer): void {
    const config = this.config as ResolvedServerConfig
    const wsRequest = new WebSocketRequest(socket, request, config, head)
    try {
      wsRequest.readHandshake()
    } catch (e) {
      const error = e as Error & { httpCode?: number; headers?: Record<string, string> }
      const status = error.httpCode || 400
      if (log.enabled) log('upgrade refused (%d) from %s: %s', status, socket.remoteAddress, error.message)
      wsRequest.reject(status, error.message, error.headers)
      this.emit('upgradeError', error)
      return
    }

    if (log.enabled) log('request %s from %s (%s)', wsRequest.resource, wsRequest.remoteAddress, wsRequest.origin)
    this.pendingRequests.push(wsRequest)
    wsRequest.once('requestAccepted', this._handlers.requestAccepted)
    wsRequest.once('requestResolved', this._handlers.requestResolved)
    let timer: NodeJS.Timeout | undefined
    const onSocketClose = (): void => {
      clearTimeout(timer)
      this.handleRequestResolved(wsRequest)
    }
    socket.once('close', onSocketClose)
    // Once resolved, the socket must not keep the request (and its IncomingMessage) alive for the connection's
    // whole life: ~1.5 KB per idle connection.
    wsRequest.once('requestResolved', () => {
      clearTimeout(timer)
      socket.removeListener('close', onSocketClose)
    })
    const timeout = config.pendingRequestTimeout
    if (typeof timeout === 'number' && timeout > 0) {
      timer = setTimeout(() => {
        if (!wsRequest._resolved && !socket.destroyed) wsRequest.reject(408, PENDING_TIMEOUT_REASON)
      }, timeout)
      timer.unref()
    }

    if (!config.autoAcceptConnections && this.listenerCount('request') > 0) {
      this.emit('request', wsRequest)
    } else if (config.autoAcceptConnections) {
      try {
        wsRequest.accept(wsRequest.requestedProtocols[0], wsRequest.origin)
      } catch (e) {
        // e.g. a first offered protocol that is not a token: already refused with 500. Throwing here would
        // escape from the http server's 'upgrade' emit and crash the process.
        if (log.enabled) log('auto-accept failed: %s', (e as Error).message)
        this.emit('upgradeError', e as Error)
      }
    } else {
      wsRequest.reject(404, 'No handler is configured to accept the connection.')
    }
  }

  handleRequestAccepted(connection: WebSocketConnection): void {
    connection.on('close', this._handlers.connectionClose)
    connection._pubsub = this._pubsub
    this.connections.push(connection)
    if (log.enabled) log('connect %s (%d open)', connection.remoteAddress, this.connections.length)
    this.emit('connect', connection)
  }

  handleConnectionClose(connection: WebSocketConnection, closeReason: number, description: string): void {
    const index = this.connections.indexOf(connection)
    if (index !== -1) this.connections.splice(index, 1)
    this._pubsub.registry.leaveAll(connection)
    if (log.enabled) log('close %s: %d %s', connection.remoteAddress, closeReason, description)
    this.emit('close', connection, closeReason, description)
  }

  handleRequestResolved(request: WebSocketRequest): void {
    const index = this.pendingRequests.indexOf(request)
    if (index !== -1) this.pendingRequests.splice(index, 1)
  }
}

export default WebSocketServer
