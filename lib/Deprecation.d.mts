// Types of `ferrosocket/lib/Deprecation` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const Deprecation: typeof M.Deprecation
export default Deprecation
