// Types of `ferrosocket/lib/version` (CommonJS, as `websocket/lib/version` was).
import type * as M from '../dist/cjs/index.js'
declare const version: typeof M.version
export = version
