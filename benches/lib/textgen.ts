/**
 * Deterministic text-like payloads for the permessage-deflate benchmarks: JSON chat/event messages from a seeded
 * PRNG. Compressible the way real traffic is (repeated keys and structure, a limited vocabulary) but not trivially:
 * ids, timestamps, users, rooms, numbers and message text vary from event to event, so no message repeats and a
 * single constant string cannot stand in for them (a repeated constant deflates ~100×, real JSON 3–10×).
 */

/** mulberry32: a tiny 32-bit PRNG with a good spread, enough for test data (not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = (
  'the a to and of in is it you that for on are with this be have not at what so just can we do was but all ' +
  'if from about get like will when one they know think up out time now me how good there see our meeting ' +
  'deploy build release today tomorrow later review merge branch ticket bug fix test server client latency ' +
  'dashboard metrics alert pager coffee lunch thanks please sure yes no maybe great nice sounds works broken ' +
  'again still already done ready waiting looking checking pushed pulled rebased failing passing green red ' +
  'config cache queue worker database index query slow fast memory leak restart rollback hotfix staging prod ' +
  'café naïve résumé déjà über straße 👍 🎉 ✅ 🚀 😅 日本 テスト 数据 ok lol brb afk ptal lgtm nit typo docs'
).split(' ')
const NAMES = (
  'alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor ' +
  'walter yuki zoë andré björn chloé dmitri elif farah giulia hana ines jamal kofi lena maël nour oskar priya'
).split(' ')
const ROOMS = ['general', 'random', 'eng-backend', 'eng-frontend', 'ops', 'incidents', 'design', 'sales-emea', 'support']
const TYPES = ['message', 'message', 'message', 'message', 'edit', 'reaction', 'typing', 'presence', 'read']
const STATUS = ['online', 'away', 'busy', 'offline']
const EMOJI = ['thumbsup', 'tada', 'eyes', 'heart', 'rocket', 'white_check_mark', 'joy']

/** A stream of events; `next()` returns one JSON object text. Same seed → same sequence. */
export class EventStream {
  private readonly rnd: () => number
  private id = 100_000
  private ts = Date.UTC(2026, 10, 26, 9, 0, 0)
  constructor(seed: number) {
    this.rnd = mulberry32(seed)
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n)
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }

  /** A line of chat: 3–24 words, occasionally with a number or a mention. */
  sentence(): string {
    const n = 3 + this.int(22)
    const out: string[] = []
    for (let i = 0; i < n; i++) {
      const r = this.rnd()
      out.push(r < 0.04 ? `@${this.pick(NAMES)}` : r < 0.08 ? String(this.int(10_000)) : this.pick(WORDS))
    }
    return out.join(' ')
  }

  next(): string {
    this.id += 1 + this.int(3)
    this.ts += this.int(4000)
    const type = this.pick(TYPES)
    const user = { id: 1000 + this.int(5000), name: `${this.pick(NAMES)}_${this.int(100)}` }
    const base = { type, id: this.id, room: this.pick(ROOMS), user, ts: new Date(this.ts).toISOString() }
    switch (type) {
      case 'message':
        return JSON.stringify({ ...base, text: this.sentence(), mentions: this.int(4) === 0 ? [this.pick(NAMES)] : [] })
      case 'edit':
        return JSON.stringify({ ...base, target: this.id - 1 - this.int(50), text: this.sentence() })
      case 'reaction':
        return JSON.stringify({ ...base, target: this.id - 1 - this.int(50), emoji: this.pick(EMOJI), add: this.rnd() < 0.8 })
      case 'presence':
        return JSON.stringify({ ...base, status: this.pick(STATUS), lastSeen: Math.round(this.rnd() * 1e6) / 1e3 })
      default:
        return JSON.stringify(base)
    }
  }

  /** ASCII filler of exactly `n` bytes (letters and spaces from the vocabulary's ASCII words). */
  filler(n: number): string {
    let s = ''
    while (s.length < n) {
      const w = this.pick(WORDS)
      if (/^[a-z]+$/.test(w)) s += (s.length === 0 ? '' : ' ') + w
    }
    return s.slice(0, n)
  }
}

/**
 * One message of exactly `size` bytes of UTF-8: `{"seq":…,"events":[…],"note":"…"}`, as many events as fit,
 * the note (ASCII filler) padding to the exact size. Valid JSON. `size` must be at least 64.
 */
export function jsonMessage(stream: EventStream, seq: number, size: number): Buffer {
  if (size < 64) throw new RangeError('jsonMessage: size must be at least 64 bytes')
  const head = `{"seq":${seq},"events":[`
  const tail = (note: string) => `],"note":"${note}"}`
  const events: string[] = []
  let used = Buffer.byteLength(head) + Buffer.byteLength(tail(''))
  // Keep ~16 bytes of room for the note so short messages still carry a little filler.
  for (;;) {
    const e = stream.next()
    const add = Buffer.byteLength(e) + (events.length === 0 ? 0 : 1)
    if (used + add > size - 16) break
    events.push(e)
    used += add
  }
  const out = Buffer.from(head + events.join(',') + tail(stream.filler(size - used)))
  if (out.length !== size) throw new Error(`jsonMessage: built ${out.length} bytes, wanted ${size}`)
  return out
}

/** `count` messages of `size` bytes each from the stream seeded with `seed`. */
export function jsonMessages(seed: number, size: number, count: number): Buffer[] {
  const stream = new EventStream(seed)
  return Array.from({ length: count }, (_, i) => jsonMessage(stream, i, size))
}
