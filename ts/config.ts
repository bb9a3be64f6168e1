import type { PerMessageDeflateOptions } from './deflate/negotiate.js'

/**
 * The configuration a WebSocketConnection reads. The server and client pass their whole config object (as
 * WebSocket-Node did); every field is optional here and falls back to WebSocket-Node's server defaults.
 */

/** Connection options (WebSocket-Node's names and meanings, plus ferrosocket's additive safety limits). */
export interface ConnectionConfig {
  /**
   * Largest accepted frame payload, checked from the header before any payload is read (→ 1009). Default 64 KiB.
   * A number >= 0; `Infinity` (or anything above) means the effective maximum, 2^32 − 1.
   */
  maxReceivedFrameSize?: number
  /**
   * Largest accepted message (sum of its fragments) (→ 1009). Default 1 MiB. A number >= 0, at most
   * 2^32 − 1 in effect.
   */
  maxReceivedMessageSize?: number
  /** Split outgoing messages longer than `fragmentationThreshold`. Default true. */
  fragmentOutgoingMessages?: boolean
  /** Fragment size; a message is split only when its length is greater than this. Default 16 KiB. */
  fragmentationThreshold?: number
  /** Send a ping after `keepaliveInterval` ms without incoming data. Default false here (the server turns it on). */
  keepalive?: boolean
  /** Default 20000 ms. */
  keepaliveInterval?: number
  /**
   * Drop (1006 'Peer not responding.', no close frame) when nothing arrives within the grace period after a
   * keepalive ping. Default true.
   */
  dropConnectionOnKeepaliveTimeout?: boolean
  /** Default 10000 ms. */
  keepaliveGracePeriod?: number
  /** Use TCP keepalive (`socket.setKeepAlive(true, keepaliveInterval)`) instead of pings. Default false. */
  useNativeKeepalive?: boolean
  /** Assemble fragments into `'message'` events; when false every frame is a `'frame'` event. Default true. */
  assembleFragments?: boolean
  /** `socket.setNoDelay(disableNagleAlgorithm)`. Default true. */
  disableNagleAlgorithm?: boolean
  /** After a close frame is sent (or a drop), the socket is destroyed if still open this many ms later (5000). */
  closeTimeout?: number
  /**
   * ferrosocket: most frames (empty ones included) in one message; more → close 1008. Stops the
   * "million empty continuation frames" memory attack (ws CVE-2026-48779). Default
   * max(1024, ceil(maxReceivedMessageSize / 64)), i.e. 16384 at 1 MiB. 0 = unlimited. Not applied when
   * `assembleFragments` is false (nothing is buffered then).
   */
  maxReceivedFragments?: number
  /**
   * ferrosocket: most automatic pongs that may be queued in the socket's output buffer (the peer pings but
   * does not read) before the connection is cut off (close event 1008, no close frame). Default 60 (as ws).
   * 0 = unlimited.
   */
  maxPendingPongs?: number
  /**
   * ferrosocket: when > 0, bytes sent and not yet taken by the kernel (this turn's frames and the socket's
   * queue: `bytesWaitingToFlush`) above which the connection is cut off (close event 1008, no close frame).
   * Default 0: off for the connection's own sends (`outputBufferFull` and `'drain'` are the tools), while
   * fan-out (`publish`, `broadcast*`) cuts off a connection whose backlog is already above 16 MiB (a slow
   * consumer must not grow memory without bound).
   */
  maxOutputBufferSize?: number
  /**
   * ferrosocket: permessage-deflate compression (RFC 7692). Off by default (`false`/absent: nothing is offered
   * or accepted, RSV1 is a protocol error). `true` or an options object: the server accepts the first
   * acceptable offer, the client offers it and checks the answer strictly. Messages of `threshold` bytes or
   * more (default 1024) are compressed; received messages are inflated with `maxReceivedMessageSize` applied
   * to the inflated size (→ 1009), invalid data → 1007. Only whole-message sends (`send`, `sendUTF`,
   * `sendBytes`) are compressed; `sendFrame`/`fragmentAndSend` send frames as given. With
   * `assembleFragments: false`, compressed frames are emitted as received (`rsv1` set, payload compressed).
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
}

/** Every limit and switch of ConnectionConfig with its default applied. */
export interface ResolvedConnectionOptions {
  maxFrameSize: number
  /**
   * The config's `maxReceivedFrameSize` as it was when `maxFrameSize` was resolved: a connection compares it with
   * the config before parsing, so a change made at run time applies (as in WebSocket-Node, see WebSocketConnection).
   */
  frameSizeSource: unknown
  maxMessageSize: number
  maxFragments: number
  fragmentationThreshold: number
  keepalive: boolean
  keepaliveInterval: number
  dropConnectionOnKeepaliveTimeout: boolean
  keepaliveGracePeriod: number
  useNativeKeepalive: boolean
  assembleFragments: boolean
  disableNagleAlgorithm: boolean
  closeTimeout: number
  maxPendingPongs: number
  maxOutputBufferSize: number
}

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && v >= 0 && !Number.isNaN(v) ? v : fallback

/**
 * The largest frame or message payload ferrosocket accepts, whatever the limits say: 2^32 − 1 bytes. A received
 * frame or message is held in one Buffer (Node 20's largest is 2^32 bytes), and a limit above what can be held
 * would let a peer's declared length reach `Buffer.allocUnsafe` and throw (issue 13). Lengths of 2^32 or more are
 * refused from the header with 1009, on every Node version. Text messages are also bounded by V8's maximum string
 * length (~512 MiB; above it → 1009).
 */
export const MAX_PAYLOAD_SIZE = 0xffff_ffff

/** `maxReceivedFrameSize` when a config has none (the server's default; the client fills in its own). */
export const DEFAULT_FRAME_SIZE = 0x10000

/**
 * A size limit option: `undefined` → `fallback`; a number >= 0 (Infinity included) → itself, clamped to
 * MAX_PAYLOAD_SIZE; anything else throws (a typo such as a string or a negative value used to fall back to the
 * default silently).
 */
export function sizeLimit(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of bytes >= 0 (Infinity = ${MAX_PAYLOAD_SIZE}); got ${typeof value}`)
  }
  if (!(value >= 0)) throw new RangeError(`${name} must be a number of bytes >= 0; got ${value}`)
  return Math.min(value, MAX_PAYLOAD_SIZE)
}

/** A count option (`0` = unlimited): `undefined` → `fallback`; a number >= 0 → itself; anything else throws. */
function countLimit(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number >= 0 (0 = unlimited); got ${typeof value}`)
  if (!(value >= 0)) throw new RangeError(`${name} must be a number >= 0 (0 = unlimited); got ${value}`)
  return value
}

/** The fragment limit's default for a message limit (see `maxReceivedFragments`). */
export const defaultMaxFragments = (maxMessageSize: number): number =>
  Math.max(1024, Math.ceil(maxMessageSize / 64))

/**
 * Applies the defaults; throws WebSocket-Node's errors for non-numeric keepalive settings, and a TypeError or
 * RangeError naming the option for a size or count limit that is not a number >= 0.
 */
export function resolveConnectionOptions(config: ConnectionConfig): ResolvedConnectionOptions {
  const maxMessageSize = sizeLimit(config.maxReceivedMessageSize, 'maxReceivedMessageSize', 0x100000)
  const keepalive = Boolean(config.keepalive)
  const useNativeKeepalive = Boolean(config.useNativeKeepalive)
  // Truthiness, as the original's connection tested it (`0` does not drop); unset means the default, true.
  const drop = config.dropConnectionOnKeepaliveTimeout
  const dropConnectionOnKeepaliveTimeout = drop === undefined ? true : Boolean(drop)
  if (keepalive && !useNativeKeepalive) {
    if (typeof config.keepaliveInterval !== 'number') {
      throw new Error('keepaliveInterval must be specified and numeric if keepalive is true.')
    }
    if (dropConnectionOnKeepaliveTimeout && typeof config.keepaliveGracePeriod !== 'number') {
      throw new Error(
        'keepaliveGracePeriod  must be specified and numeric if dropConnectionOnKeepaliveTimeout is true.',
      )
    }
  }
  const assembleFragments = config.assembleFragments !== false
  return {
    maxFrameSize: sizeLimit(config.maxReceivedFrameSize, 'maxReceivedFrameSize', DEFAULT_FRAME_SIZE),
    frameSizeSource: config.maxReceivedFrameSize,
    maxMessageSize,
    maxFragments: countLimit(config.maxReceivedFragments, 'maxReceivedFragments', defaultMaxFragments(maxMessageSize)),
    fragmentationThreshold: config.fragmentOutgoingMessages === false ? 0 : num(config.fragmentationThreshold, 0x4000),
    keepalive,
    keepaliveInterval: num(config.keepaliveInterval, 20000),
    dropConnectionOnKeepaliveTimeout,
    keepaliveGracePeriod: num(config.keepaliveGracePeriod, 10000),
    useNativeKeepalive,
    assembleFragments,
    disableNagleAlgorithm: config.disableNagleAlgorithm !== false,
    closeTimeout: num(config.closeTimeout, 5000),
    maxPendingPongs: countLimit(config.maxPendingPongs, 'maxPendingPongs', 60),
    maxOutputBufferSize: countLimit(config.maxOutputBufferSize, 'maxOutputBufferSize', 0),
  }
}
