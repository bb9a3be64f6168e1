// Types of `ferrosocket/lib/version` (CommonJS, as `websocket/lib/version` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const version: typeof M.version
export = version
