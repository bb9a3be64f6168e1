// Types of `ferrosocket/lib/W3CWebSocket` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const W3CWebSocket: typeof M.W3CWebSocket
type W3CWebSocket = M.W3CWebSocket
export default W3CWebSocket
