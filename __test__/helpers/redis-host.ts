// An in-process PubSubAdapterHost for the adapter tests: it keeps per-topic subscriber counts the way a server does
// (the adapter hears only the first subscribe and the last unsubscribe), refuses text that is not UTF-8 like the
// server's deliverRemote, and records what it was handed. Plus bounded polling and a Redis admin client.
import { isUtf8 } from 'node:buffer'
import { createClient } from 'redis'
import type { PubSubAdapterHost } from '../../ts/pubsub/adapter.js'
import type { RedisAdapter } from '../../ts/redis/index.js'

export interface Delivery {
  topic: string
  data: Buffer
  binary: boolean
}

export class TestHost implements PubSubAdapterHost {
  readonly counts = new Map<string, number>()
  readonly got: Delivery[] = []
  readonly errors: Error[] = []

  constructor(readonly adapter: RedisAdapter) {
    adapter.attach(this)
  }

  deliverRemote(topic: string, data: Buffer, binary: boolean): number {
    if (!this.counts.has(topic)) return 0
    if (!binary && !isUtf8(data)) return -1
    this.got.push({ topic, data: Buffer.from(data), binary })
    return this.counts.get(topic)!
  }

  localTopics(): Iterable<string> {
    return this.counts.keys()
  }

  reportError(error: Error): void {
    this.errors.push(error)
  }

  subscribe(topic: string): void {
    const n = this.counts.get(topic) ?? 0
    this.counts.set(topic, n + 1)
    if (n === 0) this.adapter.subscribe(topic)
  }

  unsubscribe(topic: string): void {
    const n = this.counts.get(topic)
    if (n === undefined) return
    if (n > 1) this.counts.set(topic, n - 1)
    else {
      this.counts.delete(topic)
      this.adapter.unsubscribe(topic)
    }
  }

  publish(topic: string, data: Buffer | string, binary = typeof data !== 'string'): void {
    this.adapter.publish(topic, typeof data === 'string' ? Buffer.from(data) : data, binary)
  }

  of(topic: string): Delivery[] {
    return this.got.filter((d) => d.topic === topic)
  }
}

/** Polls `cond` every 10 ms until it holds or `ms` pass; throws with `what` on timeout. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export type Admin = ReturnType<typeof createClient>

/** A plain node-redis client for inspecting and poking the server (PUBSUB NUMSUB, CLIENT KILL, raw PUBLISH). */
export async function adminClient(url: string): Promise<Admin> {
  const admin = createClient({ url, socket: { reconnectStrategy: 50 } })
  admin.on('error', () => {})
  await admin.connect()
  return admin
}

/** Subscribers Redis counts on `channel` (sharded: the shard channel count). */
export async function numsub(admin: Admin, channel: string, sharded = false): Promise<number> {
  const reply = (await admin.sendCommand(['PUBSUB', sharded ? 'SHARDNUMSUB' : 'NUMSUB', channel])) as unknown[]
  return Number(reply[1])
}
