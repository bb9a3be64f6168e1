/**
 * Helpers for the codec tests: hex literals, a seeded PRNG, naive reference implementations, frame builders and
 * a structured view of `parseFrames` results.
 */
import {
  FRAME_STRIDE,
  S_CONSUMED,
  S_ERROR,
  S_FRAGMENTS,
  S_MESSAGE_BYTES,
  S_MESSAGE_OPCODE,
  S_NEED,
  S_PENDING,
  S_UTF8,
  STATE_SLOTS,
  type Codec,
  type ParseOptions,
} from '../../ts/codec/types.js'

/** Bytes from a hex literal (spaces allowed). */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex')
}

/** Hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same test cases on every run. */
export class Prng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Integer in 0..n-1. */
  int(n: number): number {
    return this.u32() % n
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff
    return b
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }
}

/** The obvious byte loop: the reference every masking implementation must equal. */
export function naiveMask(source: Uint8Array, mask: Uint8Array, length = source.length): Buffer {
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) out[i] = source[i]! ^ mask[i & 3]!
  return out
}

const fatal = new TextDecoder('utf-8', { fatal: true })
/** Reference UTF-8 validity (WHATWG fatal decoder). */
export function naiveIsUtf8(b: Uint8Array): boolean {
  try {
    fatal.decode(b)
    return true
  } catch {
    return false
  }
}

/** Random valid UTF-8 text mixing 1–4-byte code points. */
export function randomUtf8(rng: Prng, codePoints: number): Buffer {
  let s = ''
  for (let i = 0; i < codePoints; i++) {
    const kind = rng.int(4)
    const cp =
      kind === 0
        ? rng.int(0x80)
        : kind === 1
          ? 0x80 + rng.int(0x800 - 0x80)
          : kind === 2
            ? rng.pick([0x800 + rng.int(0xd800 - 0x800), 0xe000 + rng.int(0x10000 - 0xe000)])
            : 0x10000 + rng.int(0x110000 - 0x10000)
    s += String.fromCodePoint(cp)
  }
  return Buffer.from(s, 'utf8')
}

/** A frame's wire bytes: `bits` = first byte; payload masked with `key` when given. */
export function frame(bits: number, payload: Uint8Array, key?: Uint8Array): Buffer {
  const n = payload.length
  const ext = n < 126 ? Buffer.alloc(0) : n < 0x10000 ? Buffer.alloc(2) : Buffer.alloc(8)
  if (n >= 126 && n < 0x10000) ext.writeUInt16BE(n)
  else if (n >= 0x10000) ext.writeBigUInt64BE(BigInt(n))
  const b1 = (key ? 0x80 : 0) | (n < 126 ? n : n < 0x10000 ? 126 : 127)
  const body = key ? naiveMask(payload, key) : Buffer.from(payload)
  return Buffer.concat([Buffer.from([bits, b1]), ext, key ? Buffer.from(key) : Buffer.alloc(0), body])
}

/** Options: server side (frames masked), generous limits. */
export const SERVER: ParseOptions = { flags: 1, maxFrameSize: 1 << 20, maxMessageSize: 1 << 22, maxFragments: 0 }
/** Options: client side (frames unmasked). */
export const CLIENT: ParseOptions = { flags: 0, maxFrameSize: 1 << 20, maxMessageSize: 1 << 22, maxFragments: 0 }

export interface Descriptor {
  bits: number
  offset: number
  length: number
  key: number
}

export interface ParseResult {
  count: number
  frames: Descriptor[]
  pendingFrame: Descriptor | null
  consumed: number
  need: number
  pending: number
  error: number
  message: { opcode: number; bytes: number; utf8: number; fragments: number }
}

function descriptor(out: Float64Array, i: number): Descriptor {
  const d = i * FRAME_STRIDE
  return { bits: out[d]!, offset: out[d + 1]!, length: out[d + 2]!, key: out[d + 3]! }
}

/** Run `parseFrames` and return everything it reported, as plain data (easy to deepEqual across backends). */
export function parse(
  c: Codec,
  buf: Uint8Array,
  opts: ParseOptions,
  state: Float64Array = new Float64Array(STATE_SLOTS),
  start = 0,
  end = buf.length,
  outFrames = 64,
): ParseResult {
  const out = new Float64Array(outFrames * FRAME_STRIDE)
  const count = c.parseFrames(buf, start, end, opts, state, out)
  const frames: Descriptor[] = []
  for (let i = 0; i < count; i++) frames.push(descriptor(out, i))
  return {
    count,
    frames,
    pendingFrame: state[S_PENDING] === 1 ? descriptor(out, count) : null,
    consumed: state[S_CONSUMED]!,
    need: state[S_NEED]!,
    pending: state[S_PENDING]!,
    error: state[S_ERROR]!,
    message: {
      opcode: state[S_MESSAGE_OPCODE]!,
      bytes: state[S_MESSAGE_BYTES]!,
      utf8: state[S_UTF8]!,
      fragments: state[S_FRAGMENTS]!,
    },
  }
}

/** A fresh parse state, optionally with message slots set. */
export function newState(): Float64Array {
  return new Float64Array(STATE_SLOTS)
}
