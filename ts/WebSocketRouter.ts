/**
 * WebSocketRouter: dispatches a WebSocketServer's `request` events to handlers by path and subprotocol.
 */
import { EventEmitter } from 'node:events'
import type { WebSocketRequest } from './WebSocketRequest.js'
import type { WebSocketServer } from './WebSocketServer.js'
import { NO_PROTOCOL, WebSocketRouterRequest } from './WebSocketRouterRequest.js'

export { WebSocketRouterRequest } from './WebSocketRouterRequest.js'

/** Router configuration. */
export interface IRouterConfig {
  /** The WebSocketServer whose `request` events the router handles. */
  server?: WebSocketServer | null
}

/** One mounted route. */
export interface IRouterHandler {
  path: RegExp
  /** `String(path)`, the key of the one-handler-per-path+protocol rule. */
  pathString: string
  /** Lower-cased subprotocol, `'*'`, or the no-protocol sentinel. */
  protocol: string
  callback: (request: WebSocketRouterRequest) => void
}

/** Characters escaped when a string path becomes an anchored RegExp (the original's set). */
const REGEXP_SPECIALS = /[-[\]{}()*+?.,\\^$|#\s]/g

/**
 * Routes requests to handlers. String paths match `resourceURL.pathname` exactly (`'*'` matches any path); RegExp
 * paths are used as given. A null protocol matches clients that request none; `'*'` matches any protocol.
 * For each protocol in the client's order, the first mounted handler that matches wins; no match → 404.
 */
export class WebSocketRouter extends EventEmitter {
  config: { server: WebSocketServer | null }
  handlers: IRouterHandler[] = []
  server: WebSocketServer | null = null
  private readonly _requestHandler: (request: WebSocketRequest) => void

  constructor(config?: IRouterConfig) {
    super()
    this.config = { server: null, ...(config ?? {}) }
    this._requestHandler = (request) => this.handleRequest(request)
    if (this.config.server) this.attachServer(this.config.server)
  }

  /** Handle `server`'s `request` events. */
  attachServer(server: WebSocketServer): void {
    if (!server) throw new Error('You must specify a WebSocketServer instance to attach to.')
    this.server = server
    server.on('request', this._requestHandler)
  }

  /** Stop handling the attached server's requests. */
  detachServer(): void {
    if (!this.server) throw new Error('Cannot detach from server: not attached.')
    this.server.removeListener('request', this._requestHandler)
    this.server = null
  }

  /** Add a route. Throws for a duplicate path+protocol. */
  mount(
    path: string | RegExp,
    protocol: string | null | undefined,
    callback: (request: WebSocketRouterRequest) => void,
  ): void {
    if (!path) throw new Error('You must specify a path for this handler.')
    if (!callback) throw new Error('You must specify a callback for this handler.')
    const regexp = this.pathToRegExp(path)
    if (!(regexp instanceof RegExp)) throw new Error('Path must be specified as either a string or a RegExp.')
    const pathString = regexp.toString()
    const proto = (protocol || NO_PROTOCOL).toLowerCase()
    if (this.findHandlerIndex(pathString, proto) !== -1) {
      throw new Error('You may only mount one handler per path/protocol combination.')
    }
    this.handlers.push({ path: regexp, pathString, protocol: proto, callback })
  }

  /**
   * Remove a route. A missing protocol means the no-protocol route (the original threw a TypeError).
   */
  unmount(path: string | RegExp, protocol?: string | null): void {
    const index = this.findHandlerIndex(this.pathToRegExp(path).toString(), protocol || NO_PROTOCOL)
    if (index === -1) throw new Error('Unable to find a route matching the specified path and protocol.')
    this.handlers.splice(index, 1)
  }

  /** Index of the handler for this exact path string and protocol (case-insensitive), or -1. */
  findHandlerIndex(pathString: string, protocol: string): number {
    const proto = protocol.toLowerCase()
    return this.handlers.findIndex((h) => h.pathString === pathString && h.protocol === proto)
  }

  /** `'*'` → any path; another string → exact, anchored, escaped match; a RegExp is returned as is. */
  pathToRegExp(path: string | RegExp): RegExp {
    if (typeof path !== 'string') return path
    if (path === '*') return /^.*$/
    return new RegExp('^' + path.replace(REGEXP_SPECIALS, '\\$&') + '$')
  }

  /** Dispatch one request (normally called for the server's `request` event). */
  handleRequest(request: WebSocketRequest): void {
    const requested: readonly string[] =
      request.requestedProtocols && request.requestedProtocols.length > 0 ? request.requestedProtocols : [NO_PROTOCOL]
    const pathname = request.resourceURL?.pathname ?? ''
    for (const p of requested) {
      const protocol = p.toLowerCase()
      for (const handler of this.handlers) {
        // A stateful (global/sticky) RegExp would alternate between match and miss; reset it.
        handler.path.lastIndex = 0
        if (handler.path.test(pathname) && (handler.protocol === protocol || handler.protocol === '*')) {
          handler.callback(new WebSocketRouterRequest(request, protocol))
          return
        }
      }
    }
    request.reject(404, 'No handler is available for the given request.')
  }
}
