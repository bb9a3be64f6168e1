/**
 * Argument validation for every `Codec` function, applied identically in front of both backends, so bad input
 * gets the same TypeError/RangeError (same message) whichever runs — and never reaches native code, where an
 * out-of-range offset would be an out-of-bounds access. Only typeof/instanceof/compare checks: this is on the
 * hot path; messages are built only when throwing.
 */
import { Buffer } from 'node:buffer'
import { FRAME_STRIDE, STATE_SLOTS, type ParseOptions } from './types.js'
import { frameCount } from './twin/fragment.js'
import { headerLength } from './twin/header.js'

const MAX_SAFE = Number.MAX_SAFE_INTEGER

function describe(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'undefined':
      return 'undefined'
    case 'number':
      return String(value)
    case 'string':
      return `type string (${JSON.stringify(value.length > 28 ? `${value.slice(0, 25)}...` : value)})`
    case 'function':
      return 'function'
    case 'object': {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name
      return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object'
    }
    default:
      return `type ${typeof value} (${String(value)})`
  }
}

function typeError(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`)
}

function rangeError(name: string, expected: string, value: unknown): RangeError {
  return new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${describe(value)}`)
}

/** `value` is a Uint8Array (a Buffer is one). */
export function checkBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw typeError(name, 'an instance of Uint8Array or Buffer', value)
}

/** `value` is an integer in min..max. */
export function checkInt(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw typeError(name, 'of type number', value)
  if (!(value >= min && value <= max) || !Number.isInteger(value)) {
    throw rangeError(name, `an integer >= ${min} and <= ${max}`, value)
  }
}

function checkBool(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw typeError(name, 'of type boolean', value)
}

/** A non-negative number (Infinity allowed: "no limit"). */
function checkLimit(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw typeError(name, 'of type number', value)
  if (!(value >= 0)) throw rangeError(name, 'a number >= 0', value)
}

/** Native code takes `&mut` slices: two views of the same memory would alias, so overlapping views are refused. */
function checkDisjoint(a: ArrayBufferView, aName: string, b: ArrayBufferView, bName: string): void {
  if (a.buffer !== b.buffer) return
  if (a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
    throw new RangeError(`The "${aName}" and "${bName}" arguments must not share memory`)
  }
}

function checkMaskKey(mask: unknown): asserts mask is Uint8Array {
  checkBytes(mask, 'mask')
  if (mask.length !== 4) throw rangeError('mask.length', '4', mask.length)
}

export function checkMask(source: unknown, mask: unknown, output: unknown, offset: unknown, length: unknown): void {
  checkBytes(source, 'source')
  checkMaskKey(mask)
  checkBytes(output, 'output')
  checkInt(offset, 'offset', 0, output.length)
  checkInt(length, 'length', 0, source.length)
  if (length > output.length - offset) throw rangeError('length', `<= output.length - offset (${output.length - offset})`, length)
  // No overlap check: both backends give memmove semantics (the addon copies with `ptr::copy` before XORing
  // overlapping ranges, the twin reads the whole source first), so overlapping views cannot corrupt memory or
  // the result — and the check needed two `.buffer` reads, ~20 ns of a ~35 ns call on Node 20.
  // The key may live inside `output` or `buffer` (a frame header next to its payload): both backends read its
  // 4 bytes before writing anything, so no overlap check is needed for it.
}

export function checkUnmask(buffer: unknown, mask: unknown): void {
  checkBytes(buffer, 'buffer')
  checkMaskKey(mask)
}

export function checkUtf8Stream(state: unknown, buffer: unknown, final: unknown): void {
  checkInt(state, 'state', 0, 0xffff_ffff)
  checkBytes(buffer, 'buffer')
  checkBool(final, 'final')
}

/** `message` itself is checked by the backend (only it can tell its own messages). */
export function checkTextAppend(source: unknown, key: unknown, next: unknown): void {
  checkBytes(source, 'source')
  if (key !== -1) checkInt(key, 'key', 0, 0xffff_ffff)
  checkInt(next, 'next', -1, MAX_SAFE)
}

export function checkTextFinish(keepBytes: unknown): void {
  checkBool(keepBytes, 'keepBytes')
}

export function checkParse(buf: unknown, start: unknown, end: unknown, opts: unknown, state: unknown, out: unknown): void {
  checkBytes(buf, 'buf')
  checkInt(start, 'start', 0, buf.length)
  checkInt(end, 'end', start, buf.length)
  if (typeof opts !== 'object' || opts === null) throw typeError('opts', 'of type object', opts)
  const o = opts as ParseOptions
  checkInt(o.flags, 'opts.flags', 0, 0xffff_ffff)
  checkLimit(o.maxFrameSize, 'opts.maxFrameSize')
  checkLimit(o.maxMessageSize, 'opts.maxMessageSize')
  checkLimit(o.maxFragments, 'opts.maxFragments')
  if (!(state instanceof Float64Array)) throw typeError('state', 'an instance of Float64Array', state)
  if (state.length < STATE_SLOTS) throw rangeError('state.length', `>= ${STATE_SLOTS}`, state.length)
  if (!(out instanceof Float64Array)) throw typeError('out', 'an instance of Float64Array', out)
  if (out.length < FRAME_STRIDE) throw rangeError('out.length', `>= ${FRAME_STRIDE}`, out.length)
  checkDisjoint(state, 'state', buf, 'buf')
  checkDisjoint(out, 'out', buf, 'buf')
  checkDisjoint(out, 'out', state, 'state')
}

export function checkEncodeHeader(out: unknown, offset: unknown, bits: unknown, payloadLength: unknown, maskKey: unknown): void {
  checkBytes(out, 'out')
  checkInt(offset, 'offset', 0, out.length)
  checkInt(bits, 'bits', 0, 0xff)
  checkInt(payloadLength, 'payloadLength', 0, MAX_SAFE)
  checkInt(maskKey, 'maskKey', -1, 0xffff_ffff)
  const n = headerLength(payloadLength, maskKey !== -1)
  if (n > out.length - offset) throw rangeError('out.length', `>= offset + ${n}`, out.length)
}

/** The encoded length must itself stay exact (<= 2^53 - 1). */
export function checkEncodedLength(payloadLength: unknown, threshold: unknown, masked: unknown): void {
  checkInt(payloadLength, 'payloadLength', 0, MAX_SAFE)
  checkInt(threshold, 'threshold', 0, MAX_SAFE)
  checkBool(masked, 'masked')
  // Headers add at most 14 bytes per frame: refuse totals a JS number cannot hold exactly.
  if (payloadLength + 14 * frameCount(payloadLength, threshold) > MAX_SAFE) {
    throw rangeError('payloadLength', 'small enough for an encoded length <= 2^53 - 1', payloadLength)
  }
}

export function checkEncodeMessage(
  payload: unknown,
  opcode: unknown,
  rsv1: unknown,
  threshold: unknown,
  maskKeys: unknown,
  out: unknown,
  offset: unknown,
  encodedLength: (payloadLength: number, threshold: number, masked: boolean) => number,
): void {
  checkBytes(payload, 'payload')
  checkInt(opcode, 'opcode', 0, 0xf)
  checkBool(rsv1, 'rsv1')
  checkInt(threshold, 'threshold', 0, MAX_SAFE)
  if (maskKeys !== null) checkBytes(maskKeys, 'maskKeys')
  checkBytes(out, 'out')
  checkInt(offset, 'offset', 0, out.length)
  const frames = frameCount(payload.length, threshold)
  if (maskKeys !== null && maskKeys.length < 4 * frames) {
    throw rangeError('maskKeys.length', `>= 4 * frame count (${4 * frames})`, maskKeys.length)
  }
  const n = encodedLength(payload.length, threshold, maskKeys !== null)
  if (n > out.length - offset) throw rangeError('out.length', `>= offset + ${n}`, out.length)
  checkDisjoint(payload, 'payload', out, 'out')
  if (maskKeys !== null) checkDisjoint(maskKeys, 'maskKeys', out, 'out')
}

export function checkCloseCode(code: unknown): asserts code is number {
  if (typeof code !== 'number') throw typeError('code', 'of type number', code)
}

export function checkEncodeClose(
  code: unknown,
  reason: unknown,
  isValidCloseCode: (code: number) => boolean,
): void {
  checkCloseCode(code)
  if (typeof reason !== 'string') throw typeError('reason', 'of type string', reason)
  if (!isValidCloseCode(code)) {
    throw rangeError('code', 'a close code valid on the wire (1000-1003, 1007-1014, 3000-4999)', code)
  }
  // §5.5: a control frame payload is at most 125 bytes, 2 of them the code.
  if (reason.length > 41 && Buffer.byteLength(reason, 'utf8') > 123) {
    throw rangeError('reason', 'at most 123 bytes in UTF-8', reason)
  }
}
