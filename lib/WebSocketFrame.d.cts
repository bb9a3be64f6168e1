// Types of `ferrosocket/lib/WebSocketFrame` (CommonJS, as `websocket/lib/WebSocketFrame` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const WebSocketFrame: typeof M.WebSocketFrame
type WebSocketFrame = M.WebSocketFrame
export = WebSocketFrame
