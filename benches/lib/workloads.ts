/**
 * Inputs shared by every implementation's worker: the same bytes, built deterministically in each child process so
 * no row sees warmer caches or different data than another.
 */
import { isUtf8 } from 'node:buffer'

export const KiB = 1024
export const MiB = 1024 * 1024

/** Sizes of the main suite (issue 2): 125 B is the largest 7-bit length, 16 KiB websocket@1.0.35's fragment size. */
export const FULL_SIZES = [16, 125, KiB, 16 * KiB, 64 * KiB, MiB, 16 * MiB]
export const QUICK_SIZES = [16, KiB, 64 * KiB]
/** The invalid-at-start case only needs a few sizes: it shows whether a validator exits early. */
export const INVALID_SIZES = [125, 64 * KiB, 16 * MiB]
/** `parse-100-frames`: total payload of the chunk (100 frames of 16 B, 125 B, 1 KiB). */
export const BATCH_SIZES = [1600, 12500, 100 * KiB]
/** Sizes of the seam threshold scan (`--thresholds`). */
export const THRESHOLD_SIZES = [
  8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 320, 384, 512,
  768, 1024, 1536, 2048, 4096,
]

/** Operations of the main suite. `parse-*` = one masked frame parsed, unmasked in place and validated. */
export const OPS = [
  'mask',
  'unmask',
  'utf8-ascii',
  'utf8-mixed',
  'utf8-invalid',
  'parse-binary',
  'parse-text-ascii',
  'parse-text-mixed',
  'parse-100-frames',
] as const
export type Op = (typeof OPS)[number]

/** Operations of the threshold scan (native addon called directly vs the TS twin). */
export const THRESHOLD_OPS = [
  'mask',
  'unmask',
  'isValidUtf8-ascii',
  'isValidUtf8-mixed',
  'utf8Stream-mixed',
  'parseFrames-binary',
  'parseFrames-text',
] as const
export type ThresholdOp = (typeof THRESHOLD_OPS)[number]

/** Key of binary frames and of the mask/unmask rows: arbitrary, non-zero (ws skips unmasking for an all-zero key). */
export const BINARY_KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d])
/**
 * Key of text frames. Parsers unmask in place, so the same frame is alternately masked and unmasked from one
 * iteration to the next; with 0x01 bytes both states of our texts are valid UTF-8 (checked in `textPayload`), so
 * every iteration does the full validation instead of failing at the first byte.
 */
export const TEXT_KEY = Buffer.from([0x01, 0x01, 0x01, 0x01])

/** Bytes of the header of a masked frame with this payload length (2 + extended length + 4-byte key). */
export function maskedHeaderLength(length: number): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4
}

/** A deterministic pseudo-random filler (xorshift32), so every process builds identical data. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

// About 35% ASCII plus Latin-1, Cyrillic, CJK and emoji, as in the reference measurements. Every character is chosen
// so that XOR 0x01 on each byte still gives valid UTF-8 (see TEXT_KEY).
const MIXED_PIECES = ['The quick ', 'é', 'ü', 'жизнь ', '中文', '😀', 'ok, ', 'Ωμέγα ', '漢字 ', 'ñ', ' 42 ']
const ASCII_PIECE = 'The quick brown fox jumps over the lazy dog 0123456789. '

const pieceCache = new Map<string, Buffer>()
function pieceBytes(piece: string): Buffer {
  let bytes = pieceCache.get(piece)
  if (!bytes) pieceCache.set(piece, (bytes = Buffer.from(piece)))
  return bytes
}

function fill(length: number, pieces: readonly string[], firstPiece = 0): Buffer {
  const out = Buffer.alloc(length)
  let pos = 0
  let i = firstPiece
  while (pos < length) {
    const piece = pieceBytes(pieces[i++ % pieces.length] ?? ' ')
    if (pos + piece.length > length) {
      out.fill(0x20, pos) // pad with ASCII so the buffer ends on a code point boundary
      break
    }
    piece.copy(out, pos)
    pos += piece.length
  }
  return out
}

/**
 * Valid UTF-8 text of exactly `length` bytes, also valid after XOR with TEXT_KEY. `multibyteFirst` starts the mixed
 * text with non-ASCII characters, so that even 8-byte inputs of the threshold scan are multibyte.
 */
export function textPayload(kind: 'ascii' | 'mixed', length: number, multibyteFirst = false): Buffer {
  const out = kind === 'ascii' ? fill(length, [ASCII_PIECE]) : fill(length, MIXED_PIECES, multibyteFirst ? 1 : 0)
  const flipped = Buffer.from(out)
  xorInto(flipped, TEXT_KEY)
  if (!isUtf8(out) || !isUtf8(flipped)) throw new Error(`workload bug: ${kind} text of ${length} B is not stable`)
  return out
}

/** `length` bytes that are invalid UTF-8 at byte 0 (0xFF) and ASCII after. */
export function invalidAtStart(length: number): Buffer {
  const out = fill(length, [ASCII_PIECE])
  out[0] = 0xff
  return out
}

/** Reference XOR (byte loop), used only to verify results before timing. */
export function xorInto(buf: Uint8Array, key: Uint8Array): void {
  for (let i = 0; i < buf.length; i++) buf[i] = (buf[i] ?? 0) ^ (key[i & 3] ?? 0)
}

/** A complete masked client→server frame (FIN, `opcode`) carrying `payload` masked with `key`. */
export function maskedFrame(opcode: number, payload: Uint8Array, key: Uint8Array): Buffer {
  const length = payload.length
  const header = maskedHeaderLength(length)
  const frame = Buffer.alloc(header + length)
  frame[0] = 0x80 | opcode
  if (length < 126) {
    frame[1] = 0x80 | length
  } else if (length < 65536) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  frame.set(key, header - 4)
  frame.set(payload, header)
  xorInto(frame.subarray(header), key)
  return frame
}

/**
 * A payload-sized view at the header offset of a frame-sized buffer: received payloads (unmask, UTF-8) never start
 * on an aligned address, so neither do ours.
 */
export function atFrameOffset(data: Uint8Array): Buffer {
  const header = maskedHeaderLength(data.length)
  const backing = Buffer.alloc(header + data.length)
  backing.set(data, header)
  return backing.subarray(header)
}

export function formatSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`
  return `${bytes} B`
}
