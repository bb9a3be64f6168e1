// Types of `ferrosocket/lib/WebSocketRequest` (CommonJS, as `websocket/lib/WebSocketRequest` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const WebSocketRequest: typeof M.WebSocketRequest
type WebSocketRequest = M.WebSocketRequest
export = WebSocketRequest
