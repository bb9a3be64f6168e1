/**
 * Keepalive and grace-period deadlines without a Timeout per connection (issue 7: a Timeout with its argument
 * array and boxed numbers is ~180 bytes per idle connection).
 *
 * Entries with the same duration sit in one list, in deadline order: a deadline is always "now + duration", so
 * appending keeps the order, and activity moves an entry to the tail with a new deadline in O(1) — what Node does
 * for its own timers (one list per duration, `timeout.refresh()`). Each list has one Timeout, for its head. The
 * links live on the entry (the connection) itself: four fields instead of an object.
 */
import { performance } from 'node:perf_hooks'

/** Node's limit for timer delays; outside 1..TIMEOUT_MAX, setTimeout uses 1 ms (so do the lists). */
const TIMEOUT_MAX = 2 ** 31 - 1

/** The fields a DeadlineList keeps on its entries. */
export interface DeadlineEntry {
  /** @internal */
  _dlPrev: DeadlineEntry | null
  /** @internal */
  _dlNext: DeadlineEntry | null
  /**
   * @internal Deadline in whole milliseconds of `performance.now()`: a small integer (an unboxed field) for the
   * first 24 days of the process; later a boxed number, which works the same.
   */
  _dlAt: number
  /** @internal The list the entry is in, or null. */
  _dlList: DeadlineList | null
}

/** One list per (kind, duration); the registry of each kind drops a list once it is empty. */
export class DeadlineList {
  private head: DeadlineEntry | null = null
  private tail: DeadlineEntry | null = null
  private timer: NodeJS.Timeout | null = null
  /** When `timer` fires. */
  private timerAt = 0

  private constructor(
    readonly duration: number,
    /** What a due entry gets; also tells the kind of list. */
    readonly onDue: (entry: DeadlineEntry) => void,
    private readonly registry: Map<number, DeadlineList>,
  ) {}

  /** The list of `registry` for `ms` (normalized as setTimeout does), created on first use. */
  static of(registry: Map<number, DeadlineList>, ms: number, onDue: (entry: DeadlineEntry) => void): DeadlineList {
    const duration = ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1
    let list = registry.get(duration)
    if (list === undefined) registry.set(duration, (list = new DeadlineList(duration, onDue, registry)))
    return list
  }

  /** Entries in the list (for tests). */
  get size(): number {
    let n = 0
    for (let e = this.head; e !== null; e = e._dlNext) n++
    return n
  }

  /** Adds an entry (taken out of its list first, if any), due `duration` ms from now. */
  add(entry: DeadlineEntry): void {
    entry._dlList?.remove(entry)
    const at = Math.ceil(performance.now() + this.duration)
    entry._dlAt = at
    entry._dlList = this
    this.append(entry)
    if (this.timer === null || at < this.timerAt) this.schedule(at)
  }

  /** A new deadline (`duration` ms from now) for an entry of this list: the cost of activity on a connection. */
  touch(entry: DeadlineEntry): void {
    entry._dlAt = Math.ceil(performance.now() + this.duration)
    if (entry === this.tail) return
    this.unlink(entry)
    this.append(entry)
  }

  /** Takes an entry of this list out. */
  remove(entry: DeadlineEntry): void {
    this.unlink(entry)
    entry._dlList = null
    if (this.head === null) this.idle()
  }

  /** The timer: every entry that is due leaves the list, then gets `onDue`, in deadline order. */
  run(): void {
    this.timer = null
    try {
      for (let e = this.head; e !== null && e._dlAt <= performance.now(); e = this.head) {
        this.unlink(e)
        e._dlList = null
        // May add to, touch or remove from any list, this one included (a new keepalive, a drop).
        this.onDue(e)
      }
    } finally {
      // Also after a throwing 'close' listener: the entries after it still get their timers.
      if (this.head === null) this.idle()
      else if (this.timer === null || this.head._dlAt < this.timerAt) this.schedule(this.head._dlAt)
    }
  }

  private append(entry: DeadlineEntry): void {
    const tail = this.tail
    entry._dlPrev = tail
    entry._dlNext = null
    if (tail === null) this.head = entry
    else tail._dlNext = entry
    this.tail = entry
  }

  private unlink(entry: DeadlineEntry): void {
    const prev = entry._dlPrev
    const next = entry._dlNext
    if (prev === null) this.head = next
    else prev._dlNext = next
    if (next === null) this.tail = prev
    else next._dlPrev = prev
    entry._dlPrev = entry._dlNext = null
  }

  private schedule(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer)
    // A head removed early is not rescheduled for: the timer then finds nothing due and waits for the new head.
    this.timer = setTimeout(runList, Math.max(1, Math.ceil(at - performance.now())), this)
    this.timerAt = at
  }

  /** Empty: no timer left to keep the process alive, and the list leaves the registry. */
  private idle(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (this.registry.get(this.duration) === this) this.registry.delete(this.duration)
  }
}

const runList = (list: DeadlineList): void => list.run()
