// Types of `ferrosocket/lib/browser` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/browser.js'
declare const browser: typeof M.default
export default browser
