// Types of `ferrosocket/lib/Deprecation` (CommonJS, as `websocket/lib/Deprecation` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const Deprecation: typeof M.Deprecation
export = Deprecation
