// Types of `ferrosocket/lib/WebSocketConnection` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketConnection: typeof M.WebSocketConnection
type WebSocketConnection = M.WebSocketConnection
export default WebSocketConnection
