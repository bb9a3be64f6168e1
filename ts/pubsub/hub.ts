/**
 * A server's topics: the local registry, delivery of published messages, and the optional cross-process adapter
 * (see adapter.ts for the contract both sides keep). `server.publish`, `connection.publish` and the connection's
 * subscribe calls all end here.
 */
import { Buffer } from 'node:buffer'
import type { EventEmitter } from 'node:events'
import { codec } from '../codec/index.js'
import { publishMessage } from '../connection/broadcast.js'
import { utf8Bytes } from '../connection/text.js'
import { logger } from '../debug.js'
import type { WebSocketConnection } from '../WebSocketConnection.js'
import type { PubSubAdapter, PubSubAdapterHost } from './adapter.js'
import { TopicRegistry } from './topics.js'

/** What `publish` accepts: a string is sent as a text message, bytes as a binary one. */
export type PublishData = string | Buffer | ArrayBuffer | ArrayBufferView

const log = logger('server')

/** `topic` as a topic name, or a TypeError. */
export function checkTopic(topic: unknown): string {
  if (typeof topic !== 'string') throw new TypeError('A topic must be a string.')
  return topic
}

/** The opcode and payload of `data` (string → text, its UTF-8 bytes; bytes → binary, not copied). */
function payloadOf(data: PublishData): [number, Buffer] {
  if (typeof data === 'string') return [0x01, utf8Bytes(data)]
  if (Buffer.isBuffer(data)) return [0x02, data]
  if (data instanceof ArrayBuffer) return [0x02, Buffer.from(data)]
  if (ArrayBuffer.isView(data)) return [0x02, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]
  throw new TypeError('Published data must be a string, a Buffer, an ArrayBuffer or a typed array.')
}

export class TopicHub implements PubSubAdapterHost {
  readonly registry: TopicRegistry<WebSocketConnection>
  private adapter: PubSubAdapter | null = null
  constructor(private readonly server: EventEmitter) {
    this.registry = new TopicRegistry(this)
  }

  /** Attaches the server's adapter (once; a server keeps the adapter it was given for its life). */
  attach(adapter: PubSubAdapter): void {
    if (this.adapter === adapter) return
    if (this.adapter !== null) throw new Error('This server already has a pub/sub adapter.')
    this.adapter = adapter
    adapter.attach(this)
  }

  /** Delivers `data` to the local subscribers of `topic` (but `except`), then hands it to the adapter. */
  publish(topic: string, data: PublishData, except: WebSocketConnection | null): number {
    checkTopic(topic)
    const [opcode, payload] = payloadOf(data)
    const sent = this.local(topic, opcode, payload, except)
    const adapter = this.adapter
    if (adapter !== null) {
      try {
        adapter.publish(topic, payload, opcode === 0x02)
      } catch (e) {
        this.reportError(e as Error)
      }
    }
    return sent
  }

  private local(topic: string, opcode: number, payload: Buffer, except: WebSocketConnection | null): number {
    const subs = this.registry.subscribers(topic)
    if (subs === undefined) return 0
    return publishMessage(subs, this.registry.startPublish(), except, opcode, payload)
  }

  /** Releases the adapter (server.shutDown). Its faults become 'adapterError', never a rejection. */
  async close(): Promise<void> {
    const adapter = this.adapter
    if (adapter === null) return
    try {
      await adapter.close()
    } catch (e) {
      this.reportError(e as Error)
    }
  }

  // The registry's adapter hooks: a topic's first local subscriber, and its last one leaving.
  subscribe(topic: string): void {
    const adapter = this.adapter
    if (adapter === null) return
    try {
      adapter.subscribe(topic)
    } catch (e) {
      this.reportError(e as Error)
    }
  }

  unsubscribe(topic: string): void {
    const adapter = this.adapter
    if (adapter === null) return
    try {
      adapter.unsubscribe(topic)
    } catch (e) {
      this.reportError(e as Error)
    }
  }

  // PubSubAdapterHost
  deliverRemote(topic: string, data: Buffer, binary: boolean): number {
    if (!binary && !codec.isValidUtf8(data)) return -1
    return this.local(topic, binary ? 0x02 : 0x01, data, null)
  }

  localTopics(): Iterable<string> {
    return Array.from(this.registry.names())
  }

  reportError(error: Error): void {
    if (log.enabled) log('adapter error: %s', error.message)
    this.server.emit('adapterError', error)
  }
}
