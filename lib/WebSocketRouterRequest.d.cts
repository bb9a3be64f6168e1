// Types of `ferrosocket/lib/WebSocketRouterRequest` (CommonJS, as `websocket/lib/WebSocketRouterRequest` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const WebSocketRouterRequest: typeof M.WebSocketRouterRequest
type WebSocketRouterRequest = M.WebSocketRouterRequest
export = WebSocketRouterRequest
