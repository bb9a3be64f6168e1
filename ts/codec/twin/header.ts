/**
 * Frame headers (RFC 6455 §5.2), mirror of `ferrosocket-core/src/header.rs`: encoding with the minimal length
 * form, and the sizes both directions need.
 */

/** 2^32, to split 64-bit lengths into two 32-bit halves without BigInt. */
const TWO_32 = 0x1_0000_0000

/** Header length for a payload length (minimal encoding, §5.2) with or without a 4-byte masking key. */
export function headerLength(payloadLength: number, masked: boolean): number {
  return (payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10) + (masked ? 4 : 0)
}

/**
 * Write one header at out[offset..]; `maskKey` is the key as an unsigned 32-bit big-endian number or -1.
 * Arguments are validated by the caller (`out` has room for `headerLength`). Returns the header length.
 */
export function encodeHeader(out: Uint8Array, offset: number, bits: number, payloadLength: number, maskKey: number): number {
  const maskBit = maskKey === -1 ? 0 : 0x80
  out[offset] = bits
  let i = offset + 2
  if (payloadLength < 126) {
    out[offset + 1] = maskBit | payloadLength
  } else if (payloadLength < 0x10000) {
    out[offset + 1] = maskBit | 126
    out[i] = payloadLength >>> 8
    out[i + 1] = payloadLength & 0xff
    i += 2
  } else {
    out[offset + 1] = maskBit | 127
    const hi = Math.floor(payloadLength / TWO_32)
    const lo = payloadLength >>> 0
    out[i] = hi >>> 24
    out[i + 1] = (hi >>> 16) & 0xff
    out[i + 2] = (hi >>> 8) & 0xff
    out[i + 3] = hi & 0xff
    out[i + 4] = lo >>> 24
    out[i + 5] = (lo >>> 16) & 0xff
    out[i + 6] = (lo >>> 8) & 0xff
    out[i + 7] = lo & 0xff
    i += 8
  }
  if (maskBit !== 0) {
    out[i] = maskKey >>> 24
    out[i + 1] = (maskKey >>> 16) & 0xff
    out[i + 2] = (maskKey >>> 8) & 0xff
    out[i + 3] = maskKey & 0xff
    i += 4
  }
  return i - offset
}
