// Types of `ferrosocket/lib/WebSocketRouter` for ES modules (the default import is the CommonJS module's value).
import type * as M from '../dist/index.js'
declare const WebSocketRouter: typeof M.WebSocketRouter
type WebSocketRouter = M.WebSocketRouter
export default WebSocketRouter
