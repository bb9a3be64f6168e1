// Types of `ferrosocket/lib/WebSocketRouterRequest` (CommonJS, as `websocket/lib/WebSocketRouterRequest` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketRouterRequest: typeof M.WebSocketRouterRequest
type WebSocketRouterRequest = M.WebSocketRouterRequest
export = WebSocketRouterRequest
