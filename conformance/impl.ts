/**
 * Which library the conformance testees run on. Default: ferrosocket (`../ts/index.js`, backend chosen by
 * FERROSOCKET_BACKEND). `CONFORMANCE_IMPL=websocket` runs the same testee code on WebSocket-Node 1.0.35, the
 * library whose API we copy: it checks the harness itself and gives the baseline our results are compared to.
 */
import { createRequire } from 'node:module'
import type * as ferrosocket from '../ts/index.js'

export type Lib = typeof ferrosocket

export const implName = process.env.CONFORMANCE_IMPL === 'websocket' ? 'websocket' : 'ferrosocket'

// WebSocket-Node is CommonJS; ferrosocket is its drop-in replacement, so its API shape is ours by design.
// Loaded lazily so the harness can be checked against WebSocket-Node alone.
export const lib: Lib =
  implName === 'websocket' ? (createRequire(import.meta.url)('websocket') as Lib) : await import('../ts/index.js')

/** What the testee really runs on ('native' | 'ts' | 'websocket'); the harness checks it against what it asked for. */
export const runningOn: string = implName === 'websocket' ? 'websocket' : lib.backend

/**
 * Limits raised for Autobahn's 9.x cases: 9.1.6/9.2.6 send one 16 MiB message in one frame, 9.3.1/9.4.1 send
 * 4 MiB as 65,536 fragments of 64 bytes. WebSocket-Node's own Autobahn echo server uses 64 MiB for both sizes.
 * `maxReceivedFragments` is ferrosocket's additive fragment-count limit; the original ignores it.
 */
export const AUTOBAHN_LIMITS = {
  maxReceivedFrameSize: 64 * 1024 * 1024,
  maxReceivedMessageSize: 64 * 1024 * 1024,
  maxReceivedFragments: 1024 * 1024,
  // permessage-deflate for groups 12/13 (threshold 0: every echo is compressed, as the suite's own peers do).
  // WebSocket-Node ignores the option.
  perMessageDeflate: { threshold: 0 },
}
