// Types of `ferrosocket/lib/WebSocketClient` (CommonJS, as `websocket/lib/WebSocketClient` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const WebSocketClient: typeof M.WebSocketClient
type WebSocketClient = M.WebSocketClient
export = WebSocketClient
