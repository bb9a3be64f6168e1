/**
 * ioredis (v5) as the adapter's client: a thin shim giving an ioredis connection the node-redis shape the adapter
 * uses (RedisClientLike). ioredis reconnects by itself (retryStrategy) and re-subscribes its channels on reconnect
 * (autoResubscribe); the adapter's own re-subscribe on `ready` is idempotent on top of that. `disconnect()` clears
 * ioredis' reconnect timer, so closing leaves nothing behind.
 */
import type { RedisBufferListener, RedisClientLike } from './RedisAdapter.js'

/** What the shim uses of an ioredis `Redis` instance (structural, so ioredis' types are not needed). */
export interface IORedisLike {
  readonly status: string
  duplicate(): IORedisLike
  publish(channel: string, message: Buffer): Promise<unknown>
  spublish(channel: string, message: Buffer): Promise<unknown>
  subscribe(channel: string): Promise<unknown>
  unsubscribe(channel: string): Promise<unknown>
  ssubscribe(channel: string): Promise<unknown>
  sunsubscribe(channel: string): Promise<unknown>
  quit(): Promise<unknown>
  disconnect(): void
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'ready', listener: () => void): unknown
  on(event: 'messageBuffer' | 'smessageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown
  off(event: 'error', listener: (error: Error) => void): unknown
  off(event: 'ready', listener: () => void): unknown
  off(event: 'messageBuffer' | 'smessageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown
}

/** Whether `client` is an ioredis instance rather than a node-redis client. */
export function isIORedis(client: unknown): client is IORedisLike {
  const c = client as Partial<IORedisLike> & { isReady?: unknown }
  return typeof c === 'object' && c !== null && typeof c.status === 'string' && typeof c.spublish === 'function' &&
    c.isReady === undefined
}

export class IORedisClient implements RedisClientLike {
  /** The one pub/sub listener (the adapter uses a single one for every channel). */
  #listener: RedisBufferListener | null = null
  readonly #onMessage = (channel: Buffer, message: Buffer): void => {
    this.#listener?.(message, channel)
  }

  constructor(readonly client: IORedisLike) {
    client.on('messageBuffer', this.#onMessage)
    client.on('smessageBuffer', this.#onMessage)
  }

  get isOpen(): boolean {
    return this.client.status !== 'end' && this.client.status !== 'wait'
  }

  get isReady(): boolean {
    return this.client.status === 'ready'
  }

  duplicate(): RedisClientLike {
    // ioredis' duplicate() connects at once (unless lazyConnect): connect() below only waits for it.
    return new IORedisClient(this.client.duplicate())
  }

  connect(): Promise<unknown> {
    if (this.isReady) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const ready = () => {
        this.client.off('ready', ready)
        resolve()
      }
      this.client.on('ready', ready)
    })
  }

  close(): Promise<unknown> {
    return this.client.quit()
  }

  destroy(): void {
    this.client.off('messageBuffer', this.#onMessage)
    this.client.off('smessageBuffer', this.#onMessage)
    this.client.disconnect()
  }

  publish(channel: string, message: Buffer): Promise<unknown> {
    return this.client.publish(channel, message)
  }

  sPublish(channel: string, message: Buffer): Promise<unknown> {
    return this.client.spublish(channel, message)
  }

  subscribe(channel: string, listener: RedisBufferListener): Promise<unknown> {
    this.#listener = listener
    return this.client.subscribe(channel)
  }

  unsubscribe(channel: string): Promise<unknown> {
    return this.client.unsubscribe(channel)
  }

  sSubscribe(channel: string, listener: RedisBufferListener): Promise<unknown> {
    this.#listener = listener
    return this.client.ssubscribe(channel)
  }

  sUnsubscribe(channel: string): Promise<unknown> {
    return this.client.sunsubscribe(channel)
  }

  on(event: 'error' | 'ready', listener: ((error: Error) => void) | (() => void)): unknown {
    return this.client.on(event as 'error', listener as (error: Error) => void)
  }

  off(event: 'error' | 'ready', listener: ((error: Error) => void) | (() => void)): unknown {
    return this.client.off(event as 'error', listener as (error: Error) => void)
  }
}
