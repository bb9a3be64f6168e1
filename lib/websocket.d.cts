// Types of `ferrosocket/lib/websocket` (CommonJS, as `websocket/lib/websocket` was).
import type * as M from '../dist/cjs/index.js'
declare const websocket: typeof M.default
export = websocket
