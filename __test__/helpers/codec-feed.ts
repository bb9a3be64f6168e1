/**
 * A caller of `parseFrames` as a connection uses it: bytes arrive in chunks, unconsumed bytes are kept, a pending
 * frame's payload is unmasked (key phase carried) and UTF-8-checked with S_UTF8 as it arrives, and the message
 * slots are reset once a pending FIN data frame completes. Records every call for backend-vs-backend parity and
 * the delivered frames for chunking-invariance checks.
 */
import {
  ErrorCode,
  FRAME_STRIDE,
  S_CONSUMED,
  S_ERROR,
  S_FRAGMENTS,
  S_MESSAGE_BYTES,
  S_MESSAGE_OPCODE,
  S_PENDING,
  S_UTF8,
  STATE_SLOTS,
  type Codec,
  type ParseOptions,
} from '../../ts/codec/types.js'
import { Prng, frame, hex, randomUtf8, toHex } from './codec-util.js'

export interface FeedResult {
  /** Delivered frames: first header byte | mask bit << 8, then the unmasked payload in hex. */
  events: string[]
  /** 0 or the ErrorCode that ended the stream. */
  error: number
  /** Every parseFrames call: count, the 8 state slots, the descriptors and the unmasked buffer. */
  calls: string[]
}

interface Pending {
  bits: number
  length: number
  key: number
  got: number
  parts: Buffer[]
  text: boolean
}

export function feed(c: Codec, chunks: readonly Buffer[], opts: ParseOptions, outFrames = 3): FeedResult {
  const state = new Float64Array(STATE_SLOTS)
  const out = new Float64Array(outFrames * FRAME_STRIDE)
  const events: string[] = []
  const calls: string[] = []
  let error = 0
  let pend: Pending | null = null
  let rest = Buffer.alloc(0)
  const maskKey = new Uint8Array(4)

  /** Feed payload bytes to the pending frame; returns how many were taken. Sets `error` on bad data. */
  const takePending = (data: Buffer): number => {
    const p = pend!
    const take = Math.min(p.length - p.got, data.length)
    const part = Buffer.from(data.subarray(0, take))
    if (p.bits & 0x100 && take > 0) {
      const phase = p.got & 3
      for (let i = 0; i < 4; i++) maskKey[i] = (p.key >>> (8 * (3 - ((i + phase) & 3)))) & 0xff
      c.unmask(part, maskKey)
    }
    p.got += take
    const complete = p.got === p.length
    const fin = (p.bits & 0x80) !== 0
    if (p.text) {
      const s = c.utf8Stream(state[S_UTF8]!, part, fin && complete)
      if (s === -1) error = ErrorCode.InvalidUtf8
      else state[S_UTF8] = s
    }
    p.parts.push(part)
    if (error === 0 && complete) {
      const payload = Buffer.concat(p.parts)
      if ((p.bits & 0x0f) === 8) {
        const r = c.decodeClosePayload(payload)
        if (typeof r === 'number') error = r
      }
      if (error === 0) {
        events.push(`${p.bits.toString(16)}:${toHex(payload)}`)
        if ((p.bits & 0x08) === 0 && fin) {
          state[S_MESSAGE_OPCODE] = 0
          state[S_MESSAGE_BYTES] = 0
          state[S_UTF8] = 0
          state[S_FRAGMENTS] = 0
        }
      }
      pend = null
    }
    return take
  }

  for (const chunk of chunks) {
    let data = Buffer.from(chunk)
    if (pend !== null) {
      data = data.subarray(takePending(data))
      if (error !== 0) break
      if (pend !== null) continue
    }
    let buf = rest.length === 0 ? data : Buffer.concat([rest, data])
    for (;;) {
      const count = c.parseFrames(buf, 0, buf.length, opts, state, out)
      const slots = Array.from(state).join(',')
      const descriptors = Array.from(out.subarray(0, (count + state[S_PENDING]!) * FRAME_STRIDE)).join(',')
      calls.push(`${count}|${slots}|${descriptors}|${toHex(buf.subarray(0, state[S_CONSUMED]!))}`)
      for (let i = 0; i < count; i++) {
        const d = i * FRAME_STRIDE
        const off = out[d + 1]!
        events.push(`${out[d]!.toString(16)}:${toHex(buf.subarray(off, off + out[d + 2]!))}`)
      }
      if (state[S_ERROR] !== 0) {
        error = state[S_ERROR]!
        break
      }
      const consumed = state[S_CONSUMED]!
      if (state[S_PENDING] === 1) {
        const d = count * FRAME_STRIDE
        const bits = out[d]!
        const opcode = bits & 0x0f
        pend = { bits, length: out[d + 2]!, key: out[d + 3]!, got: 0, parts: [], text: opcode < 8 && state[S_MESSAGE_OPCODE] === 1 }
        takePending(buf.subarray(consumed))
        rest = Buffer.alloc(0)
        break
      }
      buf = buf.subarray(consumed)
      if (count === outFrames && buf.length > 0) continue // out was full: drain and go on
      rest = Buffer.from(buf)
      break
    }
    if (error !== 0) break
  }
  return { events, error, calls }
}

/** Split `b` at `pieces - 1` random points. */
export function chop(rng: Prng, b: Buffer, pieces: number): Buffer[] {
  const cuts = new Set<number>()
  for (let i = 1; i < pieces; i++) cuts.add(rng.int(b.length + 1))
  const sorted = [...cuts].sort((x, y) => x - y)
  const parts: Buffer[] = []
  let at = 0
  for (const c of sorted) {
    parts.push(b.subarray(at, c))
    at = c
  }
  parts.push(b.subarray(at))
  return parts
}

/** A random stream of frames (fragmented text/binary messages with control frames between fragments). */
export function randomStream(rng: Prng, masked: boolean, corrupt: boolean): Buffer {
  const frames: Buffer[] = []
  const key = (): Uint8Array | undefined => (masked ? rng.bytes(4) : undefined)
  const messages = 1 + rng.int(6)
  for (let m = 0; m < messages; m++) {
    const text = rng.int(2) === 0
    const big = rng.int(40) === 0
    const payload = text ? randomUtf8(rng, big ? 20000 : rng.int(120)) : rng.bytes(big ? 70000 + rng.int(100) : rng.int(300))
    const pieces = 1 + rng.int(4)
    const parts = chop(rng, payload, pieces)
    parts.forEach((part, i) => {
      const bits = (i === parts.length - 1 ? 0x80 : 0) | (i === 0 ? (text ? 1 : 2) : 0)
      frames.push(frame(bits, part, key()))
      if (rng.int(4) === 0) frames.push(frame(rng.pick([0x89, 0x8a]), rng.bytes(rng.int(126)), key()))
    })
  }
  if (rng.int(3) === 0) {
    const reason = randomUtf8(rng, rng.int(30)).subarray(0, 100)
    const ok = Buffer.from(reason.toString('utf8'), 'utf8')
    frames.push(frame(0x88, Buffer.concat([Buffer.from([0x03, 0xe8]), ok]), key()))
  }
  if (corrupt && rng.int(4) === 0) {
    // A close frame with a payload the rules refuse: 1 byte, a reserved code, or a reason that is not UTF-8.
    const bad = rng.pick([hex('03'), hex('03ed'), hex('0000'), hex('03e8c0af'), hex('1388')])
    frames.splice(rng.int(frames.length + 1), 0, frame(0x88, bad, key()))
  }
  const starts: number[] = []
  let at = 0
  for (const f of frames) {
    starts.push(at)
    at += f.length
  }
  const all = Buffer.concat(frames)
  if (corrupt && all.length > 0) {
    if (rng.int(2) === 0) {
      // Flip one bit of a header's first two bytes: FIN, RSV, opcode, mask bit or length.
      const h = rng.pick(starts) + rng.int(2)
      all[h] = all[h]! ^ (1 << rng.int(8))
    } else {
      // Overwrite a random byte: usually payload (UTF-8, close codes), sometimes a header.
      all[rng.int(all.length)] = rng.u32() & 0xff
    }
  }
  return all
}
