// Types of `ferrosocket/lib/WebSocketServer` (CommonJS, as `websocket/lib/WebSocketServer` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketServer: typeof M.WebSocketServer
type WebSocketServer = M.WebSocketServer
export = WebSocketServer
