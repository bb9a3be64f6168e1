// Types of `ferrosocket/lib/WebSocketRouterRequest` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketRouterRequest: typeof M.WebSocketRouterRequest
type WebSocketRouterRequest = M.WebSocketRouterRequest
export default WebSocketRouterRequest
