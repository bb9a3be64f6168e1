// Types of `ferrosocket/lib/WebSocketClient` (CommonJS, as `websocket/lib/WebSocketClient` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketClient: typeof M.WebSocketClient
type WebSocketClient = M.WebSocketClient
export = WebSocketClient
