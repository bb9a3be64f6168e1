// Types of `ferrosocket/lib/websocket` (CommonJS, as `websocket/lib/websocket` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const websocket: typeof M.default
export = websocket
