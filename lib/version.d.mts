// Types of `ferrosocket/lib/version` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const version: typeof M.version
export default version
