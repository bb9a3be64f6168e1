/**
 * The browser entry, as WebSocket-Node's `lib/browser.js`: bundlers (webpack, esbuild, Vite, Rollup) resolve
 * `ferrosocket` here through the `browser` export condition, so isomorphic code that uses
 * `require('ferrosocket').w3cwebsocket` gets the browser's own `WebSocket` instead of a Node client. Only
 * `{ w3cwebsocket, version }` exist here; nothing in this module touches Node APIs.
 */
import { version } from './version.js'

/** The browser's WebSocket constructor, as much of it as this entry relies on. */
export interface BrowserWebSocketConstructor {
  new (url: string | URL, protocols?: string | string[]): object
  readonly CONNECTING: number
  readonly OPEN: number
  readonly CLOSING: number
  readonly CLOSED: number
}

/** `w3cwebsocket(url, protocols)`: a browser WebSocket, with the four readyState constants on the function. */
export interface BrowserW3CWebSocket {
  new (url: string | URL, protocols?: string | string[]): object
  readonly CONNECTING: number
  readonly OPEN: number
  readonly CLOSING: number
  readonly CLOSED: number
}

const scope = globalThis as { WebSocket?: BrowserWebSocketConstructor; MozWebSocket?: BrowserWebSocketConstructor }
const NativeWebSocket = scope.WebSocket ?? scope.MozWebSocket

function makeW3C(Native: BrowserWebSocketConstructor): BrowserW3CWebSocket {
  // A plain function used with `new`: returning an object from a constructor hands back that object, so callers get
  // the browser's WebSocket itself (instanceof WebSocket holds), exactly as the original's shim did.
  function W3CWebSocket(url: string | URL, protocols?: string | string[]): object {
    return protocols === undefined ? new Native(url) : new Native(url, protocols)
  }
  for (const name of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const) {
    Object.defineProperty(W3CWebSocket, name, { get: () => Native[name], enumerable: true })
  }
  return W3CWebSocket as unknown as BrowserW3CWebSocket
}

/** The browser's WebSocket behind the original's shim; `null` where the environment has none. */
export const w3cwebsocket: BrowserW3CWebSocket | null = NativeWebSocket ? makeW3C(NativeWebSocket) : null

export { version }
export default { w3cwebsocket, version }
