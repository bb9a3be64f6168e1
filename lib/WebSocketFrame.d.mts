// Types of `ferrosocket/lib/WebSocketFrame` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketFrame: typeof M.WebSocketFrame
type WebSocketFrame = M.WebSocketFrame
export default WebSocketFrame
