// Types of `ferrosocket/lib/WebSocketRouter` (CommonJS, as `websocket/lib/WebSocketRouter` was).
import type * as M from '../dist/index.js' with { 'resolution-mode': 'import' }
declare const WebSocketRouter: typeof M.WebSocketRouter
type WebSocketRouter = M.WebSocketRouter
export = WebSocketRouter
