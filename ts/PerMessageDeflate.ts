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

/** One connection's deflater and inflater. */
export class PerMessageDeflate {
  readonly params: AgreedParams
  readonly threshold: number
  private readonly opts: ResolvedDeflateOptions
  private readonly limiter: Limiter
  private deflater: zlib.DeflateRaw | null = null
  private inflater: zlib.InflateRaw | null = null
  /** Completes the running job early (with an error) when the connection goes away. */
  private abortDeflate: (() => void) | null = null
  private abortInflate: (() => void) | null = null
  private closed = false

  constructor(params: AgreedParams, opts: ResolvedDeflateOptions) {
    this.params = params
    this.opts = opts
    this.threshold = opts.threshold
    this.limiter = limiterFor(opts.concurrencyLimit)
  }

  /** Compresses one whole message; `cb` gets the payload to send with RSV1 (§7.2.1, trailer removed). */
  compress(data: Buffer, cb: Callback): void {
    this.limiter.add((done) => {
      let called = false
      const finish = (err: DeflateError | null, out?: Buffer): void => {
        if (called) return
        called = true
        this.abortDeflate = null
        done()
        cb(err, out)
      }
      if (this.closed) {
        finish(new DeflateError('Compression stopped: the connection is closed.', 1006))
        return
      }
      this.abortDeflate = () => finish(new DeflateError('Compression stopped: the connection is closed.', 1006))
      let deflater = this.deflater
      if (deflater === null) {
        deflater = this.deflater = zlib.createDeflateRaw({
          ...this.opts.zlibDeflateOptions,
          windowBits: zlibBits(this.params.ownMaxWindowBits),
        })
        deflater.on('error', () => {})
      }
      const d = deflater
      const chunks: Buffer[] = []
      let length = 0
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk)
        length += chunk.length
      }
      // A zlib failure (out of memory) must not leave the job, and so the connection's send queue, hanging.
      const onError = (): void => {
        d.removeListener('data', onData)
        if (this.deflater === d) this.deflater = null
        d.close()
        finish(new DeflateError('Compression failed.', 1011))
      }
      d.on('data', onData)
      d.once('error', onError)
      d.write(data)
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        d.removeListener('data', onData)
        d.removeListener('error', onError)
        if (this.deflater !== d) return
        const out = Buffer.concat(chunks, length)
        // Z_SYNC_FLUSH always ends with the empty stored block 00 00 ff ff; §7.2.1 removes it.
        const payload = out.length >= 4 ? out.subarray(0, out.length - 4) : out
        if (this.params.ownNoContextTakeover) d.reset()
        finish(null, payload)
      })
    })
  }

  /**
   * Inflates one whole message (its compressed fragments joined). Fails with 1009 as soon as the output exceeds
   * `maxSize` (0 = no limit), with 1007 when the data is not valid DEFLATE.
   */
  decompress(data: Buffer, maxSize: number, cb: Callback): void {
    this.limiter.add((done) => {
      let called = false
      const finish = (err: DeflateError | null, out?: Buffer): void => {
        if (called) return
        called = true
        this.abortInflate = null
        done()
        cb(err, out)
      }
      if (this.closed) {
        finish(new DeflateError('Decompression stopped: the connection is closed.', 1006))
        return
      }
      this.abortInflate = () => finish(new DeflateError('Decompression stopped: the connection is closed.', 1006))
      let inflater = this.inflater
      if (inflater === null) {
        inflater = this.inflater = zlib.createInflateRaw({ windowBits: zlibBits(this.params.peerMaxWindowBits) })
        inflater.on('error', () => {})
      }
      const inf = inflater
      const chunks: Buffer[] = []
      let length = 0
      const discard = (): void => {
        inf.removeListener('data', onData)
        inf.removeListener('error', onError)
        inf.on('error', () => {})
        if (this.inflater === inf) this.inflater = null
        inf.close()
      }
      const onData = (chunk: Buffer): void => {
        length += chunk.length
        if (maxSize > 0 && length > maxSize) {
          chunks.length = 0
          discard()
          finish(new DeflateError('Maximum message size exceeded.', 1009))
          return
        }
        chunks.push(chunk)
      }
      const onError = (): void => {
        chunks.length = 0
        discard()
        finish(new DeflateError('Invalid compressed data (permessage-deflate).', 1007))
      }
      inf.on('data', onData)
      inf.on('error', onError)
      inf.write(data)
      inf.write(TRAILER)
      inf.flush(() => {
        if (called || this.inflater !== inf) return
        inf.removeListener('data', onData)
        inf.removeListener('error', onError)
        if (this.params.peerNoContextTakeover) inf.reset()
        finish(null, Buffer.concat(chunks, length))
      })
    })
  }

  /** Closes both zlib streams; a running job completes with an error at once, queued ones when they start. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const d = this.deflater
    const i = this.inflater
    this.deflater = this.inflater = null
    for (const s of [d, i]) {
      if (s === null) continue
      s.removeAllListeners('data')
      s.on('error', () => {})
      s.close()
    }
    this.abortDeflate?.()
    this.abortInflate?.()
  }
}
