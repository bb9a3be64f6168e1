/** A fault of the Redis adapter, as the server's `'adapterError'` event carries it. */
export class RedisAdapterError extends Error {
  /**
   * - `FERROSOCKET_REDIS_CONNECTION`: a connection to Redis failed (reported once per outage of each connection).
   * - `FERROSOCKET_REDIS_PUBLISH_LOST`: publishes were not carried to other processes; `lost` says how many (1 at
   *   the first loss of an outage, the outage's total when Redis is reachable again; 1 for each publish larger than
   *   `maxMessageBytes`).
   * - `FERROSOCKET_REDIS_SUBSCRIBE`: Redis refused a SUBSCRIBE (retried when the subscriber connection is next ready).
   */
  readonly code: 'FERROSOCKET_REDIS_CONNECTION' | 'FERROSOCKET_REDIS_PUBLISH_LOST' | 'FERROSOCKET_REDIS_SUBSCRIBE'
  /** Publishes lost, for `FERROSOCKET_REDIS_PUBLISH_LOST`; 0 otherwise. */
  readonly lost: number

  constructor(code: RedisAdapterError['code'], message: string, options: { cause?: unknown; lost?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RedisAdapterError'
    this.code = code
    this.lost = options.lost ?? 0
  }
}
