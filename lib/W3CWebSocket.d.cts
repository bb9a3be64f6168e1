// Types of `ferrosocket/lib/W3CWebSocket` (CommonJS, as `websocket/lib/W3CWebSocket` was).
import type * as M from '../dist/cjs/index.js'
declare const W3CWebSocket: typeof M.W3CWebSocket
type W3CWebSocket = M.W3CWebSocket
export = W3CWebSocket
