// Types of `ferrosocket/lib/WebSocketRequest` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketRequest: typeof M.WebSocketRequest
type WebSocketRequest = M.WebSocketRequest
export default WebSocketRequest
