// Types of `ferrosocket/lib/WebSocketFrame` (CommonJS, as `websocket/lib/WebSocketFrame` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketFrame: typeof M.WebSocketFrame
type WebSocketFrame = M.WebSocketFrame
export = WebSocketFrame
