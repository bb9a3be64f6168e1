// Types of `ferrosocket/lib/WebSocketServer` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketServer: typeof M.WebSocketServer
type WebSocketServer = M.WebSocketServer
export default WebSocketServer
