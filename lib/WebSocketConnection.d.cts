// Types of `ferrosocket/lib/WebSocketConnection` (CommonJS, as `websocket/lib/WebSocketConnection` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketConnection: typeof M.WebSocketConnection
type WebSocketConnection = M.WebSocketConnection
export = WebSocketConnection
