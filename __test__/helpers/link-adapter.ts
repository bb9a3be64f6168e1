// A real, minimal cross-process adapter for tests: servers in one process linked through a shared bus, so the
// server side of the adapter contract (ts/pubsub/adapter.ts) is exercised without Redis. It records every call.
import type { PubSubAdapter, PubSubAdapterHost } from '../../ts/pubsub/adapter.js'

export class LinkBus {
  readonly members = new Set<LinkAdapter>()
}

export class LinkAdapter implements PubSubAdapter {
  host: PubSubAdapterHost | null = null
  readonly calls: string[] = []
  readonly topics = new Set<string>()
  /** What deliverRemote returned on each peer, per publish. */
  readonly delivered: number[] = []
  closed = false
  /** When set, publish reports this fault instead of forwarding. */
  fault: Error | null = null

  constructor(private readonly bus: LinkBus) {
    bus.members.add(this)
  }

  attach(host: PubSubAdapterHost): void {
    this.calls.push('attach')
    this.host = host
  }

  subscribe(topic: string): void {
    this.calls.push(`subscribe ${topic}`)
    this.topics.add(topic)
  }

  unsubscribe(topic: string): void {
    this.calls.push(`unsubscribe ${topic}`)
    this.topics.delete(topic)
  }

  publish(topic: string, data: Buffer, binary: boolean): void {
    this.calls.push(`publish ${topic} ${binary ? 'binary' : 'text'} ${data.toString('hex')}`)
    if (this.fault !== null) {
      this.host?.reportError(this.fault)
      return
    }
    const copy = Buffer.from(data) // the caller may reuse `data` after the call
    for (const peer of this.bus.members) {
      if (peer !== this && !peer.closed && peer.topics.has(topic) && peer.host !== null) {
        this.delivered.push(peer.host.deliverRemote(topic, copy, binary))
      }
    }
  }

  async close(): Promise<void> {
    this.calls.push('close')
    this.closed = true
    this.bus.members.delete(this)
  }
}
