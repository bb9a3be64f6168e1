// Types of `ferrosocket/lib/browser` (CommonJS, as `websocket/lib/browser` was).
import type * as M from '../dist/browser.js' with { 'resolution-mode': 'import' }
declare const browser: typeof M.default
export = browser
