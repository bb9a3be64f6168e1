/**
 * The receive path: socket chunks → complete frames, delivered synchronously and in order.
 *
 * One `codec.parseFrames` call per chunk (repeated only when `out` fills up). Complete frames are delivered as
 * views on the chunk (the codec unmasked them in place; Node never reuses a socket chunk). A frame whose payload
 * crosses chunks is collected into its own buffer piece by piece: each piece is unmasked with the key rotated by
 * the bytes already seen and, for text, fed through `codec.utf8Stream` at once, so invalid UTF-8 fails at the
 * first bad piece (Autobahn 6.4.x strict) and memory is bounded by the declared (already checked) length.
 * A header split across chunks (< 14 bytes) is kept in a 14-byte scratch buffer and completed from the next
 * chunk without copying the rest of it.
 */
import { codec } from './codec/index.js'
import {
  D_BITS,
  D_MASK_KEY,
  D_PAYLOAD_LENGTH,
  D_PAYLOAD_OFFSET,
  ErrorCode,
  FRAME_STRIDE,
  OPCODE_CLOSE,
  OPCODE_TEXT,
  PARSE_ALLOW_RSV1,
  PARSE_EXPECT_MASKED,
  S_CONSUMED,
  S_ERROR,
  S_FRAGMENTS,
  S_MESSAGE_BYTES,
  S_MESSAGE_OPCODE,
  S_NEED,
  S_PENDING,
  S_UTF8,
  STATE_SLOTS,
} from './codec/types.js'
import type { ParseOptions } from './codec/types.js'
import { headerDetail, protocolError } from './errors.js'
import type { ProtocolError } from './errors.js'

/** Where the receiver delivers. */
export interface ReceiverSink {
  /** One complete, valid frame. `bits` = first header byte | mask bit << 8; `maskKey` as in the codec descriptor. */
  _receiveFrame(bits: number, payload: Buffer, maskKey: number): void
  /** The peer broke the protocol (or a limit); frames before it were delivered. */
  _receiveError(error: ProtocolError): void
}

/** Descriptors per parseFrames call; a chunk with more frames costs one more call per 256 frames. */
const OUT_FRAMES = 256
/** Descriptor slots: the complete frames plus one for a pending frame's header. */
const OUT_CAPACITY = OUT_FRAMES + 1
const EMPTY = Buffer.alloc(0)

export class Receiver {
  /** Stop after the current frame (pause()); `resume()` continues in order. */
  paused = false
  /** Ignore everything from now on (closed, or the peer's close frame was handled). */
  stopped = false

  private readonly sink: ReceiverSink
  private readonly opts: ParseOptions
  private readonly state = new Float64Array(STATE_SLOTS)
  private readonly out = new Float64Array(FRAME_STRIDE * OUT_CAPACITY)
  private running = false

  // Chunks not processed yet (arrived while paused or while delivering).
  private readonly queue: Buffer[] = []
  private cur: Buffer | null = null
  private pos = 0

  // Descriptors from the last parseFrames call still to deliver, and the buffer they point into.
  private dBuf: Buffer = EMPTY
  private dEnd = 0
  private dCount = 0
  private dIdx = 0
  private tailPending = false
  private fromHdr = false

  // A header split across chunks.
  private readonly hdr = Buffer.alloc(14)
  private hdrLen = 0
  private hdrNeed = 0

  // A frame whose payload crosses chunks.
  private pBuf: Buffer | null = null
  private pPos = 0
  private pBits = 0
  private pKey = 0
  private pText = false
  private readonly pKeyBytes = Buffer.alloc(4)
  private readonly rot = Buffer.alloc(4)

  constructor(
    sink: ReceiverSink,
    expectMasked: boolean,
    maxFrameSize: number,
    maxMessageSize: number,
    maxFragments: number,
    allowRsv1 = false,
  ) {
    this.sink = sink
    // RSV1 only with a negotiated permessage-deflate (RFC 7692 §6); otherwise the codec fails it with 1002.
    const flags = (expectMasked ? PARSE_EXPECT_MASKED : 0) | (allowRsv1 ? PARSE_ALLOW_RSV1 : 0)
    this.opts = { flags, maxFrameSize, maxMessageSize, maxFragments }
  }

  /** Feeds one socket chunk. */
  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return
    this.queue.push(chunk)
    if (!this.running && !this.paused) this.run()
  }

  /** Continues delivery after `paused` was cleared. */
  resume(): void {
    this.paused = false
    if (!this.running && !this.stopped) this.run()
  }

  /** Drops buffered input (the connection is closing). */
  stop(): void {
    this.stopped = true
    this.queue.length = 0
    this.cur = null
    this.pBuf = null
    this.dCount = this.dIdx = 0
    this.tailPending = false
  }

  private run(): void {
    this.running = true
    try {
      this.loop()
    } finally {
      this.running = false
    }
  }

  private loop(): void {
    const out = this.out
    while (!this.paused && !this.stopped) {
      if (this.dIdx < this.dCount) {
        const d = this.dIdx++ * FRAME_STRIDE
        const off = out[d + D_PAYLOAD_OFFSET] as number
        const len = out[d + D_PAYLOAD_LENGTH] as number
        const payload = len === 0 ? EMPTY : this.dBuf.subarray(off, off + len)
        this.sink._receiveFrame(out[d + D_BITS] as number, payload, out[d + D_MASK_KEY] as number)
        continue
      }
      if (this.tailPending) {
        this.tailPending = false
        this.tail()
        continue
      }
      let cur = this.cur
      if (cur === null || this.pos >= cur.length) {
        cur = this.cur = this.queue.shift() ?? null
        this.pos = 0
        if (cur === null) break
        continue
      }
      if (this.pBuf !== null) {
        this.feedPending(cur)
        continue
      }
      if (this.hdrLen > 0) {
        const take = Math.min(this.hdrNeed - this.hdrLen, cur.length - this.pos)
        cur.copy(this.hdr, this.hdrLen, this.pos, this.pos + take)
        this.hdrLen += take
        this.pos += take
        if (this.hdrLen < this.hdrNeed) continue
        this.parse(this.hdr, 0, this.hdrLen, true)
        continue
      }
      this.parse(cur, this.pos, cur.length, false)
    }
  }

  private parse(buf: Buffer, start: number, end: number, fromHdr: boolean): void {
    this.dCount = codec.parseFrames(buf, start, end, this.opts, this.state, this.out)
    this.dIdx = 0
    this.dBuf = buf
    this.dEnd = end
    this.fromHdr = fromHdr
    this.tailPending = true
  }

  /** After the frames of one parseFrames call: error, pending payload, split header, or more frames. */
  private tail(): void {
    const state = this.state
    const buf = this.dBuf
    const end = this.dEnd
    const consumed = state[S_CONSUMED] as number
    const error = state[S_ERROR] as ErrorCode
    if (error !== ErrorCode.None) {
      this.fail(error, headerDetail(buf, consumed, end))
      return
    }
    if (state[S_PENDING] === 1) {
      const d = this.dCount * FRAME_STRIDE
      const bits = this.out[d + D_BITS] as number
      const len = this.out[d + D_PAYLOAD_LENGTH] as number
      this.pBits = bits
      this.pKey = this.out[d + D_MASK_KEY] as number
      this.pKeyBytes.writeUInt32BE(this.pKey >>> 0, 0)
      this.pBuf = Buffer.allocUnsafe(len)
      this.pPos = 0
      const opcode = bits & 0x0f
      this.pText = opcode < 8 && state[S_MESSAGE_OPCODE] === OPCODE_TEXT
      if (this.fromHdr) this.hdrLen = 0
      else this.pos = consumed
      return
    }
    if (this.fromHdr) {
      if (consumed < end) {
        // Still incomplete: the header tells how many bytes it needs in total.
        if (consumed > 0) this.hdr.copyWithin(0, consumed, end)
        this.hdrLen = end - consumed
        this.hdrNeed = state[S_NEED] as number
      } else {
        this.hdrLen = 0
      }
      return
    }
    if (consumed < end && this.dCount < OUT_CAPACITY) {
      const cur = this.dBuf
      cur.copy(this.hdr, 0, consumed, end)
      this.hdrLen = end - consumed
      this.hdrNeed = state[S_NEED] as number
      this.pos = end
      return
    }
    this.pos = consumed
  }

  private feedPending(cur: Buffer): void {
    const pBuf = this.pBuf as Buffer
    const n = Math.min(pBuf.length - this.pPos, cur.length - this.pos)
    const at = this.pPos
    if ((this.pBits & 0x100) !== 0) {
      const k = this.pKeyBytes
      const rot = this.rot
      rot[0] = k[at & 3] as number
      rot[1] = k[(at + 1) & 3] as number
      rot[2] = k[(at + 2) & 3] as number
      rot[3] = k[(at + 3) & 3] as number
      codec.mask(cur.subarray(this.pos, this.pos + n), rot, pBuf, at, n)
    } else {
      cur.copy(pBuf, at, this.pos, this.pos + n)
    }
    this.pos += n
    this.pPos = at + n
    const complete = this.pPos === pBuf.length
    const fin = (this.pBits & 0x80) !== 0
    const state = this.state
    if (this.pText) {
      const u = codec.utf8Stream(state[S_UTF8] as number, pBuf.subarray(at, at + n), complete && fin)
      if (u < 0) {
        this.fail(ErrorCode.InvalidUtf8, { bits: this.pBits, length: pBuf.length })
        return
      }
      state[S_UTF8] = u
    }
    if (!complete) return
    this.pBuf = null
    const opcode = this.pBits & 0x0f
    if (opcode < 8) {
      if (fin) state[S_MESSAGE_OPCODE] = state[S_MESSAGE_BYTES] = state[S_UTF8] = state[S_FRAGMENTS] = 0
    } else if (opcode === OPCODE_CLOSE) {
      const decoded = codec.decodeClosePayload(pBuf)
      if (typeof decoded === 'number') {
        this.fail(decoded, { bits: this.pBits, length: pBuf.length })
        return
      }
    }
    this.sink._receiveFrame(this.pBits, pBuf, this.pKey)
  }

  private fail(error: ErrorCode, detail: { bits: number; length: number | bigint }): void {
    this.stop()
    this.sink._receiveError(protocolError(error, detail))
  }
}
