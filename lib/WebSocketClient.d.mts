// Types of `ferrosocket/lib/WebSocketClient` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketClient: typeof M.WebSocketClient
type WebSocketClient = M.WebSocketClient
export default WebSocketClient
