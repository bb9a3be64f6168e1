/**
 * WebSocketRouterRequest: what a WebSocketRouter handler receives — a WebSocketRequest already matched to one
 * path and one subprotocol.
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { WebSocketConnection } from './WebSocketConnection.js'
import type { WebSocketRequest } from './WebSocketRequest.js'

/** Sentinel the router uses for "the client requested no subprotocol". */
export const NO_PROTOCOL = '____no_protocol____'

export interface WebSocketRouterRequest {
  on(event: 'requestAccepted', listener: (connection: WebSocketConnection) => void): this
  on(event: 'requestRejected', listener: (request: this) => void): this
  on(event: string | symbol, listener: (...args: never[]) => void): this
  once(event: 'requestAccepted', listener: (connection: WebSocketConnection) => void): this
  once(event: 'requestRejected', listener: (request: this) => void): this
  once(event: string | symbol, listener: (...args: never[]) => void): this
}

/** A routed request. `accept`/`reject` resolve the underlying WebSocketRequest. */
export class WebSocketRouterRequest extends EventEmitter {
  /** The underlying request. */
  readonly webSocketRequest: WebSocketRequest
  /** The subprotocol this route was chosen for (lower-cased), or null when the client requested none. */
  readonly protocol: string | null
  readonly origin: WebSocketRequest['origin']
  readonly resource: WebSocketRequest['resource']
  readonly resourceURL: WebSocketRequest['resourceURL']
  readonly httpRequest: IncomingMessage
  readonly remoteAddress: WebSocketRequest['remoteAddress']
  readonly webSocketVersion: WebSocketRequest['webSocketVersion']
  readonly requestedExtensions: WebSocketRequest['requestedExtensions']
  readonly cookies: WebSocketRequest['cookies']

  constructor(webSocketRequest: WebSocketRequest, resolvedProtocol: string) {
    super()
    this.webSocketRequest = webSocketRequest
    this.protocol = resolvedProtocol === NO_PROTOCOL ? null : resolvedProtocol
    this.origin = webSocketRequest.origin
    this.resource = webSocketRequest.resource
    this.resourceURL = webSocketRequest.resourceURL
    this.httpRequest = webSocketRequest.httpRequest
    this.remoteAddress = webSocketRequest.remoteAddress
    this.webSocketVersion = webSocketRequest.webSocketVersion
    this.requestedExtensions = webSocketRequest.requestedExtensions
    this.cookies = webSocketRequest.cookies
  }

  /**
   * Accept with the routed subprotocol. Note the signature: `(origin, cookies)` — there is no protocol argument,
   * as in WebSocket-Node (its @types declared one by mistake).
   */
  accept(origin?: string | null, cookies?: Parameters<WebSocketRequest['accept']>[2]): WebSocketConnection {
    const connection = this.webSocketRequest.accept(this.protocol, origin, cookies)
    this.emit('requestAccepted', connection)
    return connection
  }

  /** Reject with an HTTP status (default 403), an optional `X-WebSocket-Reject-Reason` and extra headers. */
  reject(status?: number, reason?: string, extraHeaders?: Parameters<WebSocketRequest['reject']>[2]): void {
    this.webSocketRequest.reject(status, reason, extraHeaders)
    this.emit('requestRejected', this)
  }
}

/** `@types/websocket` name for the routed request a router handler receives. */
export type IRouterRequest = WebSocketRouterRequest
