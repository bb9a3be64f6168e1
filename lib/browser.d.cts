// Types of `ferrosocket/lib/browser` (CommonJS, as `websocket/lib/browser` was).
import type * as M from '../dist/cjs/browser.js'
declare const browser: typeof M.default
export = browser
