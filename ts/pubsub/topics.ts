/**
 * Topics of one server: which local connections are subscribed to what, and delivery of a published message to
 * them (issue 14). A topic exists only while it has a subscriber: the last one leaving deletes it, so a topic
 * nobody listens to costs nothing, and publishing to it is one Map lookup.
 *
 * Who gets a publish: the subscribers at the moment `publish` is called that are still subscribed and open when
 * their turn comes. A connection that subscribes while a publish is running (from a listener it triggers) does
 * not get that message; one that unsubscribes or closes before its turn does not either. Each subscription
 * remembers the publish counter at the time it was made, which is how the first rule is kept without copying
 * the subscriber list per publish.
 */
/** Told when a topic gets its first subscriber and when its last one leaves (the cross-process adapter). */
export interface TopicListener {
  subscribe(topic: string): void
  unsubscribe(topic: string): void
}

/** What the registry needs of a connection. */
export interface Subscriber {
  /** @internal The topics of this connection (null until its first subscribe). */
  _topics: Set<string> | null
}

export class TopicRegistry<S extends Subscriber> {
  /** topic → subscriber → the publish counter when it subscribed. */
  private readonly topics = new Map<string, Map<S, number>>()
  /** Incremented by every publish (see the module comment). */
  private counter = 0

  constructor(private readonly listener: TopicListener) {}

  /** Subscribes `s` to `topic`; false when it already was. */
  subscribe(s: S, topic: string): boolean {
    let subs = this.topics.get(topic)
    if (subs === undefined) {
      subs = new Map()
      this.topics.set(topic, subs)
      this.listener.subscribe(topic)
    } else if (subs.has(s)) {
      return false
    }
    subs.set(s, this.counter)
    ;(s._topics ??= new Set()).add(topic)
    return true
  }

  /** Unsubscribes `s` from `topic`; false when it was not subscribed. */
  unsubscribe(s: S, topic: string): boolean {
    const subs = this.topics.get(topic)
    if (subs === undefined || !subs.delete(s)) return false
    s._topics?.delete(topic)
    if (subs.size === 0) this.drop(topic)
    return true
  }

  /** Every topic of `s` (it closed). */
  leaveAll(s: S): void {
    const topics = s._topics
    if (topics === null) return
    s._topics = null
    for (const topic of topics) {
      const subs = this.topics.get(topic)
      if (subs !== undefined && subs.delete(s) && subs.size === 0) this.drop(topic)
    }
  }

  private drop(topic: string): void {
    this.topics.delete(topic)
    this.listener.unsubscribe(topic)
  }

  /** Local subscribers of `topic`. */
  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0
  }

  /** Topics with at least one subscriber. */
  names(): IterableIterator<string> {
    return this.topics.keys()
  }

  /**
   * The subscribers of `topic` (subscriber → its counter), or undefined. A publish delivers to those whose counter
   * is below the number `startPublish` returned for it.
   */
  subscribers(topic: string): Map<S, number> | undefined {
    return this.topics.get(topic)
  }

  startPublish(): number {
    return ++this.counter
  }
}
