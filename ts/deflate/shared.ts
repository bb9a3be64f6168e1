/**
 * One compression per publish for the permessage-deflate subscribers that can share it (issue 14).
 *
 * A server connection that agreed `server_no_context_takeover` resets its deflater after every message, so what it
 * sends for a message depends only on the message and the compression parameters (window bits, zlib options,
 * threshold): every such connection with the same parameters would produce the very same bytes. Fan-out
 * (broadcast.ts) therefore compresses such a message once, with one process-wide deflater per parameter set, and
 * hands the result to each of those connections' send queues (`DeflateSession.send`'s `compressed`), where it
 * waits behind that connection's earlier sends. Connections with context takeover compress with their own
 * stream (their output depends on what they sent before) and keep doing so.
 */
import { Buffer } from 'node:buffer'
import type { PartsCallback } from '../PerMessageDeflate.js'
import { PerMessageDeflate } from '../PerMessageDeflate.js'

/**
 * At or below this many compressed bytes a connection writes the payload as one joined buffer (see
 * DeflateSession's PARTS_MIN): joined here once for all subscribers instead of once per subscriber.
 */
const JOIN_MAX = 4096

/** Most deflaters per parameter set (each a zlib stream, ~256 KiB at the default window and memLevel). */
const POOL = 4

/** A compressed payload some send queues wait for. */
export interface PendingCompression {
  /** `cb` gets the compressed payload (RSV1 payload, trailer removed) once ready: at once if it already is. */
  wait(cb: PartsCallback): void
}

/** One message compressed by a SharedDeflater, and the send queues waiting for it. */
class SharedResult implements PendingCompression {
  private done = false
  private err: Parameters<PartsCallback>[0] = null
  private parts: Buffer[] | undefined
  private length = 0
  private waiters: PartsCallback[] = []

  constructor(readonly payload: Buffer) {}

  wait(cb: PartsCallback): void {
    if (this.done) cb(this.err, this.parts, this.length)
    else this.waiters.push(cb)
  }

  settle(err: Parameters<PartsCallback>[0], parts: Buffer[] | undefined, length: number): void {
    if (err === null && parts !== undefined && parts.length > 1 && length <= JOIN_MAX) {
      parts = [Buffer.concat(parts, length)]
    }
    this.done = true
    this.err = err
    this.parts = parts
    this.length = length
    const waiters = this.waiters
    this.waiters = []
    // The compressed chunks are only read by the senders (written after each connection's frame header).
    for (const cb of waiters) cb(err, parts, length)
  }
}

/**
 * The deflaters (no context takeover) for every connection with one parameter set: up to POOL of them, each
 * compressing one message at a time, so a burst of publishes is compressed in parallel (and its results tend to
 * complete in the same event-loop turn, so their writes are coalesced). Completion order does not matter: each
 * connection's queue waits for its messages in its own order.
 */
class SharedDeflater {
  private readonly idle: PerMessageDeflate[] = []
  private made = 0
  private readonly jobs: SharedResult[] = []

  // `model`: a twin never used itself (no zlib stream), only copied; it pins no connection.
  constructor(private readonly model: PerMessageDeflate) {}

  compress(payload: Buffer): PendingCompression {
    const r = new SharedResult(payload)
    this.jobs.push(r)
    this.next()
    return r
  }

  private next(): void {
    while (this.jobs.length > 0) {
      let pmd = this.idle.pop()
      if (pmd === undefined) {
        if (this.made >= POOL) return
        this.made++
        pmd = this.model.sharedTwin()
      }
      this.run(pmd, this.jobs.shift() as SharedResult)
    }
  }

  private run(pmd: PerMessageDeflate, r: SharedResult): void {
    pmd.compressParts(r.payload, (err, parts, length = 0) => {
      this.idle.push(pmd)
      r.settle(err, parts, length)
      this.next()
    })
  }
}

const deflaters = new Map<string, SharedDeflater>()

/**
 * Starts compressing `payload` once for every connection that shares `pmd`'s parameters, or returns null when
 * `pmd` cannot share (context takeover on our side): that connection compresses with its own stream. The shared
 * deflaters live as long as the process: per distinct parameter set, up to POOL zlib deflate streams.
 */
export function compressShared(pmd: PerMessageDeflate, payload: Buffer): PendingCompression | null {
  const key = pmd.shareKey
  if (key === null) return null
  let d = deflaters.get(key)
  if (d === undefined) deflaters.set(key, (d = new SharedDeflater(pmd.sharedTwin())))
  return d.compress(payload)
}
