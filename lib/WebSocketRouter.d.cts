// Types of `ferrosocket/lib/WebSocketRouter` (CommonJS, as `websocket/lib/WebSocketRouter` was).
import type * as M from '../dist/cjs/index.js'
declare const WebSocketRouter: typeof M.WebSocketRouter
type WebSocketRouter = M.WebSocketRouter
export = WebSocketRouter
