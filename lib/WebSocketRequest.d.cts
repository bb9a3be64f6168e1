// Types of `ferrosocket/lib/WebSocketRequest` (CommonJS, as `websocket/lib/WebSocketRequest` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketRequest: typeof M.WebSocketRequest
type WebSocketRequest = M.WebSocketRequest
export = WebSocketRequest
