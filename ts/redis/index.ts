/**
 * `ferrosocket/redis`: `server.publish` across processes and hosts through Redis pub/sub (docs/cluster.md).
 *
 *   import { redisAdapter } from 'ferrosocket/redis'
 *   new server({ httpServer, adapter: redisAdapter({ url: 'redis://127.0.0.1:6379' }) })
 *
 * Needs the `redis` package (node-redis v5) or an ioredis v5 client of yours (`client`), both optional peer
 * dependencies of ferrosocket; the main entry never loads either.
 */
import { RedisAdapter, type RedisAdapterOptions } from './RedisAdapter.js'

export { RedisAdapter } from './RedisAdapter.js'
export type { RedisAdapterOptions, RedisAdapterStats, RedisClientLike, RedisBufferListener } from './RedisAdapter.js'
export { RedisAdapterError } from './errors.js'
export type { IORedisLike } from './ioredis.js'
export type { PubSubAdapter, PubSubAdapterHost } from '../pubsub/adapter.js'

/** A Redis adapter for `new server({ adapter })`: one per server. */
export function redisAdapter(options: RedisAdapterOptions): RedisAdapter {
  return new RedisAdapter(options)
}
