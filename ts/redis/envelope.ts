/**
 * The bytes a ferrosocket process publishes on Redis for one `server.publish`: a 22-byte header, then the payload
 * unchanged (text as its UTF-8 bytes), so a message is byte-exact at any size and is copied exactly once on the way
 * out. The topic is the channel name (minus the prefix), not repeated here.
 *
 *   offset 0   version   1 (anything else is dropped: a future format, or not ours)
 *   offset 1   flags     bit 0 = binary (else text); the other bits must be 0
 *   offset 2   origin    16 random bytes naming the publishing adapter instance; a process skips its own messages,
 *                        which Redis hands back to it because it subscribes to the channels it publishes on
 *   offset 18  prefix    the publisher's channelPrefix length in UTF-8 bytes (uint32, big-endian). Two applications
 *                        whose prefixes nest ('app:' and 'app:chat:') share channels ('app:' + 'chat:x' is
 *                        'app:chat:' + 'x'); a receiver drops a message whose prefix length is not its own. Equal
 *                        lengths on one channel name mean equal prefixes, so the check is exact.
 *   offset 22  payload
 */
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'

export const ENVELOPE_VERSION = 1
export const FLAG_BINARY = 0x01
export const ORIGIN_BYTES = 16
const PREFIX_OFFSET = 2 + ORIGIN_BYTES
export const HEADER_BYTES = PREFIX_OFFSET + 4

/** A fresh origin id for one adapter instance. */
export function newOrigin(): Buffer {
  return randomBytes(ORIGIN_BYTES)
}

/** The envelope of `data` (copied: the caller may reuse `data` after this returns). */
export function encodeEnvelope(origin: Buffer, prefixBytes: number, data: Buffer, binary: boolean): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + data.length)
  out[0] = ENVELOPE_VERSION
  out[1] = binary ? FLAG_BINARY : 0
  origin.copy(out, 2)
  out.writeUInt32BE(prefixBytes, PREFIX_OFFSET)
  data.copy(out, HEADER_BYTES)
  return out
}

/** What a received envelope says, or why it is dropped. */
export type Decoded =
  | { kind: 'message'; binary: boolean; payload: Buffer }
  | { kind: 'own' }
  | { kind: 'malformed'; reason: string }

/**
 * Reads an envelope without copying its payload (a view of `raw`). `origin` is this instance's id, `prefixBytes` the
 * UTF-8 length of its channelPrefix.
 */
export function decodeEnvelope(raw: Buffer, origin: Buffer, prefixBytes: number): Decoded {
  if (raw.length < HEADER_BYTES) return { kind: 'malformed', reason: `${raw.length} bytes, shorter than the header` }
  if (raw[0] !== ENVELOPE_VERSION) return { kind: 'malformed', reason: `unknown version ${raw[0]}` }
  const flags = raw[1]!
  if ((flags & ~FLAG_BINARY) !== 0) return { kind: 'malformed', reason: `unknown flags 0x${flags.toString(16)}` }
  const theirs = raw.readUInt32BE(PREFIX_OFFSET)
  if (theirs !== prefixBytes) {
    return {
      kind: 'malformed',
      reason: `published with a channelPrefix of ${theirs} bytes, ours has ${prefixBytes}: another application whose prefix nests with ours`,
    }
  }
  if (origin.compare(raw, 2, PREFIX_OFFSET) === 0) return { kind: 'own' }
  return { kind: 'message', binary: (flags & FLAG_BINARY) !== 0, payload: raw.subarray(HEADER_BYTES) }
}
