import { resolveConnectionOptions } from '../config.js'
import type { ConnectionConfig, ResolvedConnectionOptions } from '../config.js'

/** The config keys `resolveConnectionOptions` reads (a test holds this list to it). */
export const SOURCE_KEYS = [
  'maxReceivedFrameSize',
  'maxReceivedMessageSize',
  'maxReceivedFragments',
  'fragmentOutgoingMessages',
  'fragmentationThreshold',
  'keepalive',
  'keepaliveInterval',
  'dropConnectionOnKeepaliveTimeout',
  'keepaliveGracePeriod',
  'useNativeKeepalive',
  'assembleFragments',
  'disableNagleAlgorithm',
  'closeTimeout',
  'maxPendingPongs',
  'maxOutputBufferSize',
] as const satisfies ReadonlyArray<keyof ConnectionConfig>

interface Resolved {
  readonly opts: ResolvedConnectionOptions
  /** The values of SOURCE_KEYS they were resolved from. */
  readonly source: unknown[]
}

/**
 * The resolved options, one object per config (the server hands the same config to every connection) while the
 * values it was resolved from are unchanged: ~150 bytes less per idle connection, and nothing allocated per
 * connection to find out (issue 7: handshake garbage grows the young generation, which shows in RSS). A config
 * changed between connections still takes effect.
 */
const resolvedByConfig = new WeakMap<ConnectionConfig, Resolved>()
export function sharedOptions(config: ConnectionConfig): ResolvedConnectionOptions {
  const cached = resolvedByConfig.get(config)
  if (cached !== undefined && sameSource(config, cached.source)) return cached.opts
  const opts = resolveConnectionOptions(config)
  resolvedByConfig.set(config, { opts, source: SOURCE_KEYS.map((key) => config[key]) })
  return opts
}

function sameSource(config: ConnectionConfig, source: unknown[]): boolean {
  for (let i = 0; i < SOURCE_KEYS.length; i++) if (config[SOURCE_KEYS[i]!] !== source[i]) return false
  return true
}
