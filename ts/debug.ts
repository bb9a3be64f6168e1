/**
 * Debug logging through the `debug` package, as WebSocket-Node logs under `websocket:*`: ferrosocket logs under
 * `ferrosocket:server`, `ferrosocket:connection`, `ferrosocket:client` and `ferrosocket:codec`. Nothing is printed
 * unless the namespace is enabled (`DEBUG=ferrosocket:*`), and then only to stderr.
 */
import createDebug from 'debug'

/** A `debug` logger: printf-style format (`%s`, `%d`, `%o`), `enabled` tells whether anything is printed. */
export interface Logger {
  (format: string, ...args: unknown[]): void
  readonly enabled: boolean
}

export type Namespace = 'server' | 'connection' | 'client' | 'codec' | 'deflate'

/** The logger of one ferrosocket namespace. Check `log.enabled` before building an expensive argument. */
export function logger(namespace: Namespace): Logger {
  return createDebug(`ferrosocket:${namespace}`)
}
