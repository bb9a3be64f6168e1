/**
 * `ferrosocket/redis`: carries `server.publish` to every process sharing one Redis (node-redis v5 client). The server
 * delivers locally first and then calls `publish`; this adapter wraps the payload in an envelope (./envelope.ts) and
 * PUBLISHes it on `channelPrefix + topic`. Each process SUBSCRIBEs to a topic's channel while it has a local
 * subscriber of that topic (local interest: what a process receives is what its clients want), and hands what
 * arrives to `host.deliverRemote`, skipping its own messages by the envelope's origin id.
 *
 * Faults never throw into the server: a publish made while the publishing connection is not ready (Redis away, or
 * the connection still coming up) is not queued — it is counted in `stats.lost` and reported once per outage through
 * `host.reportError` (the server's `'adapterError'`), and again with the outage's total when the link is back. The
 * clients reconnect on their own (node-redis' reconnect strategy); on every `ready` of the subscriber connection the
 * adapter re-subscribes every topic that still has local subscribers and drops channels nobody wants any more.
 */
import { Buffer } from 'node:buffer'
import type { PubSubAdapter, PubSubAdapterHost } from '../pubsub/adapter.js'
import createDebug from 'debug'
import { HEADER_BYTES, decodeEnvelope, encodeEnvelope, newOrigin } from './envelope.js'
import { RedisAdapterError } from './errors.js'
import { IORedisClient, isIORedis, type IORedisLike } from './ioredis.js'

const debug = createDebug('ferrosocket:redis')

/** A pub/sub message listener in node-redis' buffer mode: `(message, channel)`. */
export type RedisBufferListener = (message: Buffer, channel: Buffer | string) => unknown

/**
 * What the adapter uses of a node-redis (`redis` package, v5) client: a `RedisClientType` fits it. Declared
 * structurally so the subpath's types do not depend on one release's generics.
 */
export interface RedisClientLike {
  readonly isOpen: boolean
  readonly isReady: boolean
  /** The options the client was created with (node-redis exposes them); the subscriber copies its socket options. */
  readonly options?: { socket?: object } | undefined
  duplicate(overrides?: { socket?: object }): RedisClientLike
  connect(): Promise<unknown>
  close(): Promise<unknown>
  destroy(): unknown
  publish(channel: string, message: Buffer): Promise<unknown>
  sPublish(channel: string, message: Buffer): Promise<unknown>
  subscribe(channels: string, listener: RedisBufferListener, bufferMode: true): Promise<unknown>
  unsubscribe(channels: string, listener: RedisBufferListener, bufferMode: true): Promise<unknown>
  sSubscribe(channels: string, listener: RedisBufferListener, bufferMode: true): Promise<unknown>
  sUnsubscribe(channels: string, listener: RedisBufferListener, bufferMode: true): Promise<unknown>
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'ready', listener: () => void): unknown
  off(event: 'error', listener: (error: Error) => void): unknown
  off(event: 'ready', listener: () => void): unknown
}

export interface RedisAdapterOptions {
  /** `redis://…` URL: the adapter creates (and on close quits) both its connections. Ignored when `client` is given. */
  url?: string
  /**
   * A client the application owns (and connects): node-redis v5 or ioredis v5. The adapter publishes through it and
   * makes its subscriber connection with `client.duplicate()`. The adapter never closes this client.
   */
  client?: RedisClientLike | IORedisLike
  /** Prefix of every channel name: `channelPrefix + topic`. Default `'ferrosocket:'`. */
  channelPrefix?: string
  /** Redis 7 sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`): each channel lives on one shard of a cluster. Default false. */
  sharded?: boolean
  /**
   * Bytes of publishes sent to Redis and not yet answered above which further publishes count as lost instead of
   * queueing without bound (a Redis that stopped answering without closing the connection). Default 64 MiB.
   */
  maxPendingBytes?: number
  /**
   * Payload bytes above which a publish is not sent to Redis (counted lost, reported every time). Redis drops every
   * subscriber connection whose output buffer passes its `client-output-buffer-limit pubsub` hard limit (32 MB by
   * default, reached by one message of about 30 MB): one oversized message would disconnect the subscribers of every
   * process on its channel. Default 16 MiB; raise it only together with that Redis setting.
   */
  maxMessageBytes?: number
}

/** Counters since the adapter was created. `published + lost + pending` is every `publish` the server made. */
export interface RedisAdapterStats {
  /** Publishes Redis acknowledged. */
  published: number
  /** Publishes not carried: the publishing connection was not ready, the backlog was full, the command failed, or the
   * payload was larger than `maxMessageBytes`. */
  lost: number
  /** Publishes sent and not yet acknowledged. */
  pending: number
  /** Messages from other processes handed to local subscribers. */
  received: number
  /** Messages on our channels that were dropped: malformed envelope, or text that is not valid UTF-8. */
  dropped: number
}

const DEFAULT_PREFIX = 'ferrosocket:'
const DEFAULT_MAX_PENDING = 64 * 1024 * 1024
const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
/** How long `close()` waits for any answer to the adapter's own publisher's pending commands before it destroys the socket. */
const CLOSE_GRACE_MS = 2000

type Role = 'publisher' | 'subscriber'
type ReconnectStrategy = (retries: number, cause: Error) => number | false | Error

/** node-redis' default back-off (50 ms doubling to 2 s, plus up to 200 ms jitter), but never giving up. */
function defaultBackoff(retries: number): number {
  return Math.min(2 ** retries * 50, 2000) + Math.floor(Math.random() * 200)
}

export class RedisAdapter implements PubSubAdapter {
  readonly channelPrefix: string
  readonly sharded: boolean
  readonly #options: RedisAdapterOptions
  readonly #origin = newOrigin()
  readonly #maxPending: number
  readonly #maxMessage: number
  /** The channelPrefix's UTF-8 length, carried in every envelope (./envelope.ts: nested prefixes of other apps). */
  readonly #prefixBytes: number
  readonly #stats: RedisAdapterStats = { published: 0, lost: 0, pending: 0, received: 0, dropped: 0 }
  #host: PubSubAdapterHost | null = null
  #pub: RedisClientLike | null = null
  #sub: RedisClientLike | null = null
  #ownsPub = false
  #closed = false
  #connecting: Promise<void> | null = null
  /** Settles #start when close() comes first (node-redis' connect() waits for Redis as long as it takes). */
  #abortStart: (() => void) | null = null
  /**
   * When the last reconnect back-off of a connection this adapter made ends. node-redis sleeps on an uncancellable
   * timer between attempts (it gives up once it wakes and finds the client closed); close() waits it out so that no
   * timer of ours outlives close().
   */
  #backoffUntil = 0
  /** Resolves #start's wait for the publishing connection (through #onPubReady: no extra listener on its client). */
  #firstPubReady: (() => void) | null = null
  #pendingBytes = 0
  /** Publishes lost in the current outage of the publishing connection (0 = no outage being reported). */
  #outageLost = 0
  /** Connections whose current outage was already reported (one report per outage, not one per retry). */
  readonly #down = new Set<Role>()
  /** Topics with local subscribers, as the server told us. */
  readonly #wanted = new Set<string>()
  /** Topics whose channel Redis confirmed we are subscribed to (and not yet confirmed unsubscribed). */
  readonly #held = new Set<string>()

  constructor(options: RedisAdapterOptions = {}) {
    if (options.client === undefined && options.url === undefined) {
      throw new TypeError('redisAdapter: pass `url` or a connected node-redis `client`')
    }
    if (options.channelPrefix !== undefined && typeof options.channelPrefix !== 'string') {
      throw new TypeError('redisAdapter: `channelPrefix` must be a string')
    }
    const max = options.maxPendingBytes ?? DEFAULT_MAX_PENDING
    if (!Number.isFinite(max) || max <= 0) throw new TypeError('redisAdapter: `maxPendingBytes` must be a positive number')
    const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE
    if (!Number.isFinite(maxMessage) || maxMessage < 0) {
      throw new TypeError('redisAdapter: `maxMessageBytes` must be a number >= 0')
    }
    this.#options = options
    this.channelPrefix = options.channelPrefix ?? DEFAULT_PREFIX
    this.#prefixBytes = Buffer.byteLength(this.channelPrefix, 'utf8')
    this.sharded = options.sharded === true
    this.#maxPending = max
    this.#maxMessage = maxMessage
  }

  /** A snapshot of the counters. */
  get stats(): RedisAdapterStats {
    return { ...this.#stats }
  }

  /** Whether both connections to Redis are ready now (publishes are carried, remote messages arrive). */
  get connected(): boolean {
    return !this.#closed && this.#pub !== null && this.#pub.isReady && this.#sub !== null && this.#sub.isReady
  }

  /** Resolves when both connections are ready for the first time (rejects if the adapter is closed first). */
  ready(): Promise<void> {
    if (this.#connecting === null) return Promise.reject(new Error('redisAdapter: not attached to a server yet'))
    return this.#connecting
  }

  attach(host: PubSubAdapterHost): void {
    if (this.#host !== null) throw new Error('redisAdapter: already attached to a server (one adapter per server)')
    this.#host = host
    this.#connecting = this.#start()
    // ready() is optional for the application; a failure is reported through the host, not as an unhandled rejection.
    this.#connecting.catch(() => {})
  }

  async #start(): Promise<void> {
    const given = this.#options.client
    let pub: RedisClientLike | undefined = given !== undefined && isIORedis(given) ? new IORedisClient(given) : given
    if (pub === undefined) {
      let createClient: typeof import('redis').createClient
      try {
        ;({ createClient } = await import('redis'))
      } catch (e) {
        const error = new RedisAdapterError(
          'FERROSOCKET_REDIS_CONNECTION',
          "redisAdapter({ url }) needs the `redis` package (node-redis v5), an optional peer dependency: npm install redis",
          { cause: e },
        )
        this.#report(error.code, error.message, e)
        throw error
      }
      if (this.#closed) throw closedEarly()
      const reconnectStrategy = this.#trackBackoff(undefined)
      pub = createClient({ url: this.#options.url, socket: { reconnectStrategy } }) as unknown as RedisClientLike
      this.#ownsPub = true
    }
    if (this.#closed) throw closedEarly()
    // The subscriber: the publisher's options (address, TLS, auth …) with our back-off tracking around its strategy.
    const socket = (pub.options?.socket ?? {}) as { reconnectStrategy?: unknown }
    const sub = pub.duplicate({ socket: { ...socket, reconnectStrategy: this.#trackBackoff(socket.reconnectStrategy) } })
    this.#pub = pub
    this.#sub = sub
    pub.on('error', this.#onPubError)
    pub.on('ready', this.#onPubReady)
    sub.on('error', this.#onSubError)
    sub.on('ready', this.#onSubReady)
    const aborted = new Promise<void>((resolve) => (this.#abortStart = resolve))
    const connects: Promise<unknown>[] = [sub.connect()]
    if (this.#ownsPub) connects.push(pub.connect())
    const pubReady = pub.isReady ? null : new Promise<void>((resolve) => (this.#firstPubReady = resolve))
    const connected = Promise.all([...connects, pubReady])
    // A connect() that rejects after close() must not become an unhandled rejection.
    connected.catch(() => {})
    await Promise.race([connected, aborted])
    this.#abortStart = null
    if (this.#closed) throw closedEarly()
  }

  #trackBackoff(strategy: unknown): ReconnectStrategy {
    return (retries, cause) => {
      let delay: number | false | Error
      if (typeof strategy === 'function') delay = (strategy as ReconnectStrategy)(retries, cause)
      else if (typeof strategy === 'number' || strategy === false) delay = strategy
      else delay = defaultBackoff(retries)
      if (typeof delay === 'number') this.#backoffUntil = Math.max(this.#backoffUntil, Date.now() + delay)
      return delay
    }
  }

  subscribe(topic: string): void {
    this.#wanted.add(topic)
    const sub = this.#sub
    if (sub !== null && sub.isReady) this.#sendSubscribe(sub, topic)
  }

  unsubscribe(topic: string): void {
    this.#wanted.delete(topic)
    const sub = this.#sub
    if (sub !== null && sub.isReady) this.#sendUnsubscribe(sub, topic)
  }

  publish(topic: string, data: Buffer, binary: boolean): void {
    if (data.length > this.#maxMessage) {
      // Not an outage: every such publish is reported on its own (the application sent something too large).
      this.#stats.lost++
      this.#report(
        'FERROSOCKET_REDIS_PUBLISH_LOST',
        `a publish of ${data.length} bytes on ${JSON.stringify(topic.slice(0, 100))} was not carried to other processes: ` +
          `larger than maxMessageBytes ${this.#maxMessage} (Redis' client-output-buffer-limit pubsub would disconnect ` +
          'every subscriber of its channel)',
        undefined,
        1,
      )
      return
    }
    const pub = this.#pub
    if (pub === null || !pub.isReady || this.#closed) {
      this.#lose(pub === null || this.#closed ? 'the adapter is not connected' : 'Redis is unreachable')
      return
    }
    const size = data.length + HEADER_BYTES
    // A message larger than the bound on its own still goes when nothing else is pending (else it never could).
    if (this.#pendingBytes > 0 && this.#pendingBytes + size > this.#maxPending) {
      this.#lose(`Redis has not answered ${this.#pendingBytes} bytes of publishes (maxPendingBytes ${this.#maxPending})`)
      return
    }
    const envelope = encodeEnvelope(this.#origin, this.#prefixBytes, data, binary)
    const channel = this.channelPrefix + topic
    this.#pendingBytes += size
    this.#stats.pending++
    const sent = this.sharded ? pub.sPublish(channel, envelope) : pub.publish(channel, envelope)
    sent.then(
      () => {
        this.#pendingBytes -= size
        this.#stats.pending--
        this.#stats.published++
        // Losses without an outage of the connection (the pending bound): Redis answers again, report the total.
        if (this.#outageLost > 0 && pub.isReady && !this.#closed) this.#reportLostTotal()
      },
      (error: unknown) => {
        this.#pendingBytes -= size
        this.#stats.pending--
        this.#lose(`PUBLISH failed: ${error instanceof Error ? error.message : String(error)}`)
      },
    )
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#abortStart?.()
    const pub = this.#pub
    const sub = this.#sub
    this.#pub = null
    this.#sub = null
    // A start still loading `redis` sees #closed and makes no client; wait for it so none appears after close().
    if (pub === null) await this.#connecting?.catch(() => {})
    return this.#closeClients(pub, sub)
  }

  async #closeClients(pub: RedisClientLike | null, sub: RedisClientLike | null): Promise<void> {
    if (sub !== null) {
      sub.off('error', this.#onSubError)
      sub.off('ready', this.#onSubReady)
      // Nothing to flush on the subscriber: it goes at once. The error listener stays so a late socket error of
      // the destroyed client is not an unhandled 'error' event.
      sub.on('error', ignore)
      sub.destroy()
    }
    if (pub !== null) {
      pub.off('ready', this.#onPubReady)
      pub.off('error', this.#onPubError)
      if (this.#ownsPub) {
        pub.on('error', ignore)
        if (pub.isReady) await this.#flush(pub)
        if (pub.isOpen) pub.destroy()
      }
    }
    this.#held.clear()
    this.#down.clear()
    const wait = this.#backoffUntil - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 10))
  }

  /**
   * QUIT on our own publisher, letting its pending publishes be answered. Bounded by progress: it gives up when
   * CLOSE_GRACE_MS pass without a single answer. When the grace timer fires, the answers that arrived while this
   * process was busy are read first (one turn of I/O), so a blocked event loop does not count as a silent Redis.
   */
  #flush(pub: RedisClientLike): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false
      let timer: NodeJS.Timeout | undefined
      let pending = this.#stats.pending
      const finish = () => {
        if (done) return
        done = true
        clearTimeout(timer)
        resolve()
      }
      const check = () => {
        setImmediate(() => {
          if (done) return
          if (this.#stats.pending < pending) {
            pending = this.#stats.pending
            timer = setTimeout(check, CLOSE_GRACE_MS)
          } else finish()
        })
      }
      timer = setTimeout(check, CLOSE_GRACE_MS)
      pub.close().then(finish, finish)
    })
  }

  #sendSubscribe(sub: RedisClientLike, topic: string): void {
    const channel = this.channelPrefix + topic
    const done = this.sharded
      ? sub.sSubscribe(channel, this.#onMessage, true)
      : sub.subscribe(channel, this.#onMessage, true)
    done.then(
      () => {
        this.#held.add(topic)
        // Unsubscribed while the SUBSCRIBE was in flight: take it back now.
        if (!this.#wanted.has(topic) && this.#sub === sub && sub.isReady) this.#sendUnsubscribe(sub, topic)
      },
      (error: unknown) => {
        // Retried on the next `ready` of the subscriber connection (see #onSubReady).
        debug('subscribe %s failed: %s', channel, error instanceof Error ? error.message : String(error))
        if (sub.isReady && !this.#closed) this.#report('FERROSOCKET_REDIS_SUBSCRIBE', `SUBSCRIBE ${channel} failed`, error)
      },
    )
  }

  #sendUnsubscribe(sub: RedisClientLike, topic: string): void {
    const channel = this.channelPrefix + topic
    const done = this.sharded
      ? sub.sUnsubscribe(channel, this.#onMessage, true)
      : sub.unsubscribe(channel, this.#onMessage, true)
    done.then(
      () => {
        this.#held.delete(topic)
        if (this.#wanted.has(topic) && this.#sub === sub && sub.isReady) this.#sendSubscribe(sub, topic)
      },
      (error: unknown) => debug('unsubscribe %s failed: %s', channel, error instanceof Error ? error.message : String(error)),
    )
  }

  readonly #onMessage = (message: Buffer, channel: Buffer | string): void => {
    const host = this.#host
    if (host === null || this.#closed) return
    const name = typeof channel === 'string' ? channel : channel.toString('utf8')
    if (!name.startsWith(this.channelPrefix)) return
    const topic = name.slice(this.channelPrefix.length)
    const decoded = decodeEnvelope(message, this.#origin, this.#prefixBytes)
    if (decoded.kind === 'own') return
    if (decoded.kind === 'malformed') {
      this.#stats.dropped++
      debug('dropped a message on %s: %s', name, decoded.reason)
      return
    }
    if (!this.#wanted.has(topic)) return
    const sent = host.deliverRemote(topic, decoded.payload, decoded.binary)
    if (sent < 0) {
      this.#stats.dropped++
      debug('dropped a text message on %s: not valid UTF-8 (%d bytes)', name, decoded.payload.length)
      return
    }
    this.#stats.received++
  }

  readonly #onSubReady = (): void => {
    const sub = this.#sub
    if (sub === null || this.#closed) return
    this.#recovered('subscriber')
    // node-redis re-subscribes the channels it holds on reconnect; a SUBSCRIBE that failed with the link (or was
    // never sent because the link was down) is sent now, and a channel whose last subscriber left meanwhile goes.
    const host = this.#host
    if (host !== null) {
      this.#wanted.clear()
      for (const topic of host.localTopics()) this.#wanted.add(topic)
    }
    for (const topic of this.#wanted) this.#sendSubscribe(sub, topic)
    for (const topic of this.#held) if (!this.#wanted.has(topic)) this.#sendUnsubscribe(sub, topic)
  }

  readonly #onPubReady = (): void => {
    if (this.#closed) return
    this.#firstPubReady?.()
    this.#firstPubReady = null
    this.#recovered('publisher')
    if (this.#outageLost > 0) this.#reportLostTotal()
  }

  #reportLostTotal(): void {
    const lost = this.#outageLost
    this.#outageLost = 0
    this.#report(
      'FERROSOCKET_REDIS_PUBLISH_LOST',
      `Redis is reachable again; ${lost} publish${lost === 1 ? ' was' : 'es were'} lost while it was not`,
      undefined,
      lost,
    )
  }

  readonly #onPubError = (error: Error): void => this.#connectionError('publisher', error)
  readonly #onSubError = (error: Error): void => this.#connectionError('subscriber', error)

  #connectionError(role: Role, error: Error): void {
    debug('%s connection: %s', role, error.message)
    if (this.#closed || this.#down.has(role)) return
    this.#down.add(role)
    this.#report('FERROSOCKET_REDIS_CONNECTION', `Redis ${role} connection failed: ${error.message}`, error)
  }

  #recovered(role: Role): void {
    if (this.#down.delete(role)) debug('%s connection ready again', role)
  }

  #lose(reason: string): void {
    this.#stats.lost++
    this.#outageLost++
    if (this.#outageLost === 1 && !this.#closed) {
      this.#report('FERROSOCKET_REDIS_PUBLISH_LOST', `a publish was lost: ${reason}`, undefined, 1)
    }
    // After close() nothing will report the total; reset so a later state is not confused by it.
    if (this.#closed) this.#outageLost = 0
  }

  #report(code: RedisAdapterError['code'], message: string, cause?: unknown, lost?: number): void {
    debug('%s: %s', code, message)
    const host = this.#host
    if (host === null) return
    host.reportError(new RedisAdapterError(code, message, { cause, lost }))
  }
}

function ignore(): void {}

function closedEarly(): Error {
  return new Error('redisAdapter: closed before it was ready')
}
