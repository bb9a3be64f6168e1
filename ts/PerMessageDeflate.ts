/**
 * permessage-deflate (RFC 7692) compression engine for one connection, over Node's zlib (streaming, in the libuv
 * thread pool, so the event loop never runs DEFLATE). Negotiation lives in `deflate/negotiate.ts`.
 *
 * Why Node's zlib and not a Rust crate in the addon: it is the same C zlib (measured here: ~260 MB/s deflate,
 * ~840 MB/s inflate on a 23 KB JSON text, ratio 11), already asynchronous, and sits above the codec seam, so
 * both backends compress identically; a crate would have to run synchronously on the event loop or grow its
 * own thread pool.
 *
 * Safety: inflation is streamed and its output counted chunk by chunk (zlib's `chunkSize`, 16 KiB): past
 * `maxSize` the stream is closed at once, so a small frame that inflates to gigabytes never holds more than
 * `maxSize + chunkSize` bytes (stops decompression bombs). All jobs of all connections go through one queue per
 * `concurrencyLimit` value, so thousands of connections cannot flood the thread pool or hold thousands of
 * in-flight buffers. Jobs of one connection run one at a time, in order.
 */
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import type { AgreedParams, ResolvedDeflateOptions } from './deflate/negotiate.js'

/** RFC 7692 §7.2.2: the empty stored block the sender removed; appended before inflating. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff])

/** Why (de)compression failed: `closeCode` 1009 (inflated message too big) or 1007 (not DEFLATE data). */
export class DeflateError extends Error {
  constructor(
    message: string,
    readonly closeCode: number,
  ) {
    super(message)
    this.name = 'DeflateError'
  }
}

type Job = (done: () => void) => void

/** FIFO queue running at most `limit` jobs at once (exported for its tests). */
export class Limiter {
  private running = 0
  private readonly jobs: Job[] = []
  constructor(private readonly limit: number) {}

  add(job: Job): void {
    this.jobs.push(job)
    this.next()
  }

  private next(): void {
    while (this.running < this.limit) {
      const job = this.jobs.shift()
      if (job === undefined) return
      this.running++
      let finished = false
      job(() => {
        if (finished) return
        finished = true
        this.running--
        this.next()
      })
    }
  }
}

const limiters = new Map<number, Limiter>()
function limiterFor(limit: number): Limiter {
  let l = limiters.get(limit)
  if (l === undefined) limiters.set(limit, (l = new Limiter(limit)))
  return l
}

/** zlib refuses nothing at 8 but cannot deflate with a 256-byte window; 9 is what it really uses (as ws does). */
const zlibBits = (bits: number): number => (bits === 8 ? 9 : bits)

type Callback = (err: DeflateError | null, out?: Buffer) => void
/** A compressed payload as zlib's output chunks (views into its 16 KiB output buffers) and their total length. */
export type PartsCallback = (err: DeflateError | null, parts?: Buffer[], length?: number) => void

/**
 * The running job of one direction. Its zlib stream's listeners are attached once, when the stream is made, and
 * find the job here: no per-message listener churn and no per-message closures left on the stream's emitter.
 */
interface Running<C> {
  cb: C
  done: () => void
  chunks: Buffer[]
  length: number
  /** Inflation only: the output limit (0 = none). */
  max: number
}

/** One connection's deflater and inflater. Jobs of one direction must not overlap (the session waits for each). */
export class PerMessageDeflate {
  readonly params: AgreedParams
  readonly threshold: number
  /**
   * Our side resets its context after every message: the compressed bytes depend only on the message and on this
   * key's parameters, so fan-out compresses once for all connections with the same key (deflate/shared.ts).
   * null with context takeover.
   */
  readonly shareKey: string | null
  private readonly opts: ResolvedDeflateOptions
  private readonly limiter: Limiter
  private deflater: zlib.DeflateRaw | null = null
  private inflater: zlib.InflateRaw | null = null
  private dJob: Running<PartsCallback> | null = null
  private iJob: Running<Callback> | null = null
  private closed = false

  constructor(params: AgreedParams, opts: ResolvedDeflateOptions) {
    this.params = params
    this.opts = opts
    this.threshold = opts.threshold
    this.limiter = limiterFor(opts.concurrencyLimit)
    this.shareKey = params.ownNoContextTakeover
      ? `${params.ownMaxWindowBits}|${opts.threshold}|${opts.concurrencyLimit}|${JSON.stringify(opts.zlibDeflateOptions)}`
      : null
  }

  /** A compressor with this one's sending parameters and no context takeover, for deflate/shared.ts. */
  sharedTwin(): PerMessageDeflate {
    const params = { ...this.params, ownNoContextTakeover: true, peerNoContextTakeover: true, peerMaxWindowBits: 15 }
    return new PerMessageDeflate(params, this.opts)
  }

  /** Compresses one whole message; `cb` gets the payload to send with RSV1 (§7.2.1, trailer removed). */
  compress(data: Buffer, cb: Callback): void {
    this.compressParts(data, (err, parts, length) => {
      if (err !== null || parts === undefined) cb(err)
      else cb(null, parts.length === 1 ? parts[0] : Buffer.concat(parts, length))
    })
  }

  /**
   * `compress`, but the payload comes as zlib's output chunks, uncopied: a sender writes them after the frame
   * header as they are (a 64 KiB text usually deflates across two of zlib's 16 KiB buffers). The chunks are not
   * reused by zlib; they live as long as the caller keeps them.
   */
  compressParts(data: Buffer, cb: PartsCallback): void {
    this.limiter.add((done) => {
      if (this.closed) {
        done()
        cb(new DeflateError('Compression stopped: the connection is closed.', 1006))
        return
      }
      const d = this.deflater ?? this.newDeflater()
      this.dJob = { cb, done, chunks: [], length: 0, max: 0 }
      d.write(data)
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => this.deflated(d))
    })
  }

  private newDeflater(): zlib.DeflateRaw {
    const d = (this.deflater = zlib.createDeflateRaw({
      ...this.opts.zlibDeflateOptions,
      windowBits: zlibBits(this.params.ownMaxWindowBits),
    }))
    d.on('data', (chunk: Buffer) => {
      const job = this.dJob
      if (job === null || this.deflater !== d) return
      job.chunks.push(chunk)
      job.length += chunk.length
    })
    // A zlib failure (out of memory) must not leave the job, and so the connection's send queue, hanging.
    d.on('error', () => {
      if (this.deflater !== d) return
      this.deflater = null
      d.close()
      this.endDeflate(new DeflateError('Compression failed.', 1011))
    })
    return d
  }

  private deflated(d: zlib.DeflateRaw): void {
    const job = this.dJob
    if (job === null || this.deflater !== d) return
    const parts = job.chunks
    let length = job.length
    // Z_SYNC_FLUSH always ends with the empty stored block 00 00 ff ff; §7.2.1 removes it (it may straddle chunks).
    if (length >= 4) {
      length -= 4
      let drop = 4
      while (drop > 0) {
        const last = parts[parts.length - 1] as Buffer
        if (last.length <= drop) {
          drop -= last.length
          parts.pop()
        } else {
          parts[parts.length - 1] = last.subarray(0, last.length - drop)
          drop = 0
        }
      }
    }
    if (this.params.ownNoContextTakeover) d.reset()
    this.endDeflate(null, parts, length)
  }

  private endDeflate(err: DeflateError | null, parts?: Buffer[], length?: number): void {
    const job = this.dJob
    if (job === null) return
    this.dJob = null
    job.done()
    job.cb(err, parts, length)
  }

  /**
   * Inflates one whole message (its compressed fragments joined). Fails with 1009 as soon as the output exceeds
   * `maxSize` (0 = no limit), with 1007 when the data is not valid DEFLATE.
   */
  decompress(data: Buffer, maxSize: number, cb: Callback): void {
    this.limiter.add((done) => {
      if (this.closed) {
        done()
        cb(new DeflateError('Decompression stopped: the connection is closed.', 1006))
        return
      }
      const inf = this.inflater ?? this.newInflater()
      this.iJob = { cb, done, chunks: [], length: 0, max: maxSize }
      inf.write(data)
      inf.write(TRAILER)
      inf.flush(() => this.inflated(inf))
    })
  }

  private newInflater(): zlib.InflateRaw {
    const inf = (this.inflater = zlib.createInflateRaw({ windowBits: zlibBits(this.params.peerMaxWindowBits) }))
    inf.on('data', (chunk: Buffer) => {
      const job = this.iJob
      if (job === null || this.inflater !== inf) return
      job.length += chunk.length
      if (job.max > 0 && job.length > job.max) {
        // Stops a decompression bomb: the stream is closed now, so at most one more chunk was ever held.
        this.dropInflater(inf)
        this.endInflate(new DeflateError('Maximum message size exceeded.', 1009))
        return
      }
      job.chunks.push(chunk)
    })
    inf.on('error', () => {
      if (this.inflater !== inf) return
      this.dropInflater(inf)
      this.endInflate(new DeflateError('Invalid compressed data (permessage-deflate).', 1007))
    })
    return inf
  }

  private dropInflater(inf: zlib.InflateRaw): void {
    if (this.inflater === inf) this.inflater = null
    inf.close()
  }

  private inflated(inf: zlib.InflateRaw): void {
    const job = this.iJob
    if (job === null || this.inflater !== inf) return
    // The message ended its DEFLATE stream (a block with BFINAL = 1, which RFC 7692 §7.2.3 allows): zlib ignores
    // everything written after that, so every later message would inflate to nothing. The message is complete;
    // the next one starts a new stream (and so a new inflater, with an empty window).
    if (inf.readableEnded) this.dropInflater(inf)
    else if (this.params.peerNoContextTakeover) inf.reset()
    // Always copied: the message goes to the application, and a view would pin zlib's whole 16 KiB output buffer.
    this.endInflate(null, Buffer.concat(job.chunks, job.length))
  }

  private endInflate(err: DeflateError | null, out?: Buffer): void {
    const job = this.iJob
    if (job === null) return
    this.iJob = null
    job.chunks = []
    job.done()
    job.cb(err, out)
  }

  /** Closes both zlib streams; a running job completes with an error at once, queued ones when they start. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const d = this.deflater
    const i = this.inflater
    this.deflater = this.inflater = null
    d?.close()
    i?.close()
    this.endDeflate(new DeflateError('Compression stopped: the connection is closed.', 1006))
    this.endInflate(new DeflateError('Decompression stopped: the connection is closed.', 1006))
  }
}
