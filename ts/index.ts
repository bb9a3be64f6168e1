/**
 * ferrosocket: the `websocket` (WebSocket-Node) API. `import websocket from 'ferrosocket'` gives the same object
 * as `require('websocket')` (`server`, `client`, `router`, `request`, `connection`, `frame`, `w3cwebsocket`,
 * `deprecation`, `version`), plus `backend` (`'native'` or `'ts'`); every key is also a named export, next to the
 * class names.
 */
import { Deprecation } from './Deprecation.js'
import { W3CWebSocket } from './W3CWebSocket.js'
import { WebSocketClient } from './WebSocketClient.js'
import { WebSocketConnection } from './WebSocketConnection.js'
import { WebSocketFrame } from './WebSocketFrame.js'
import { WebSocketRequest } from './WebSocketRequest.js'
import { WebSocketRouter } from './WebSocketRouter.js'
import { WebSocketServer } from './WebSocketServer.js'
import { version } from './version.js'
import { backend } from './codec/index.js'
import type { IMessage } from './WebSocketConnection.js'

export {
  WebSocketServer as server,
  WebSocketClient as client,
  WebSocketRouter as router,
  WebSocketRequest as request,
  WebSocketConnection as connection,
  WebSocketFrame as frame,
  W3CWebSocket as w3cwebsocket,
  Deprecation as deprecation,
  version,
  backend,
  WebSocketServer,
  WebSocketClient,
  WebSocketRouter,
  WebSocketRequest,
  WebSocketConnection,
  WebSocketFrame,
  W3CWebSocket,
  Deprecation,
}
export { WebSocketRouterRequest } from './WebSocketRouterRequest.js'
export type { IRouterRequest } from './WebSocketRouterRequest.js'
export { WebSocketEvent, WebSocketMessageEvent, WebSocketCloseEvent, WebSocketErrorEvent } from './client/events.js'

export type { Backend } from './codec/types.js'
export type {
  IMessage,
  IMessage as Message,
  Extension,
  Extension as IExtension,
  SendCallback,
} from './WebSocketConnection.js'
/** A text message (`@types/websocket` name). */
export type IUtf8Message = Extract<IMessage, { type: 'utf8' }>
/** A binary message (`@types/websocket` name). */
export type IBinaryMessage = Extract<IMessage, { type: 'binary' }>
export type { ConnectionConfig, ConnectionConfig as IConfig } from './config.js'
export type { IServerConfig, IStringified, ResolvedServerConfig } from './WebSocketServer.js'
export type { HandshakeError } from './WebSocketRequest.js'
export type { ICookie, IParsedCookie } from './handshake/cookies.js'
export type { IExtensionParameter, IRequestedExtension } from './handshake/extensions.js'
export type { IDeprecation } from './Deprecation.js'
export type { IClientConfig } from './WebSocketClient.js'
export type { IRouterConfig, IRouterHandler } from './WebSocketRouter.js'
export type { ICloseEvent, IMessageEvent } from './W3CWebSocket.js'
export type { PerMessageDeflateOptions, ZlibDeflateOptions } from './deflate/negotiate.js'
export type { PubSubAdapter, PubSubAdapterHost } from './pubsub/adapter.js'
export type { PublishData } from './pubsub/hub.js'

const websocket = {
  server: WebSocketServer,
  client: WebSocketClient,
  router: WebSocketRouter,
  frame: WebSocketFrame,
  request: WebSocketRequest,
  connection: WebSocketConnection,
  w3cwebsocket: W3CWebSocket,
  deprecation: Deprecation,
  version,
  /** Which codec runs: `'native'` (the Rust addon) or `'ts'` (the pure-TypeScript twin). */
  backend,
}

export default websocket
