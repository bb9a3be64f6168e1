// Types of `ferrosocket/lib/websocket` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const websocket: typeof M.default
export default websocket
