// Types of `ferrosocket/lib/Deprecation` (CommonJS, as `websocket/lib/Deprecation` was).
import type * as M from '../dist/cjs/index.js'
declare const Deprecation: typeof M.Deprecation
export = Deprecation
