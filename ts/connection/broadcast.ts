/**
 * One message to many server connections (broadcast, topics), framed once. Server frames are unmasked, so every
 * connection with the same fragmentation threshold gets the very same bytes: they are encoded once per
 * threshold and that one Buffer is written to each socket (issue 7: the per-connection framing cost was most of a
 * broadcast's CPU beside the write itself). Connections with permessage-deflate that agreed no context takeover on
 * our side share one compression per parameter set (deflate/shared.ts), queued in each connection's own send order;
 * other deflate connections (compressed with their own context) and masking ones (client role) take their normal
 * send path. Each write is accounted as a normal
 * send's (`outputBufferFull`, `maxOutputBufferSize`); connections not open are skipped, as `sendUTF` does.
 *
 * Slow consumers: one subscriber that does not read must not make a busy topic grow the server's memory without
 * bound. With `maxOutputBufferSize` set, its cut-off applies as to every send; unset, fan-out still cuts off
 * (1008) a connection whose backlog — bytes sent to it and not yet taken by the kernel — is above
 * FANOUT_BACKLOG before the message is added (so one big message alone never trips it).
 */
import { TEXT_OUTPUT_BUFFER_FULL } from '../constants.js'
import { encodeUnmasked } from '../Sender.js'
import type { WebSocketConnection } from '../WebSocketConnection.js'
import { compressShared } from '../deflate/shared.js'
import type { PendingCompression } from '../deflate/shared.js'
import type { PerMessageDeflate } from '../PerMessageDeflate.js'

/** Backlog above which fan-out cuts a connection off when `maxOutputBufferSize` is not set (Bun's default). */
export const FANOUT_BACKLOG = 16 * 1024 * 1024

/** The message being fanned out: its opcode and payload, and its frames per threshold once encoded. */
class Fanout {
  private frames: Buffer | null = null
  private framesThreshold = -1
  // A publish: the subscribers before this publish number but `except`, and how many got the message.
  started = 0
  except: WebSocketConnection | null = null
  sent = 0

  // This message compressed once per parameter set for the connections without context takeover (deflate/shared.ts).
  private shared: Map<string, PendingCompression> | null = null

  constructor(
    private readonly opcode: number,
    private readonly payload: Buffer,
  ) {}

  /** The one compression of this message for connections sharing `pmd`'s parameters; null: `pmd` cannot share. */
  private sharedFor(pmd: PerMessageDeflate): PendingCompression | null {
    const key = pmd.shareKey
    if (key === null) return null
    let pending = this.shared?.get(key)
    if (pending === undefined) {
      pending = compressShared(pmd, this.payload) as PendingCompression
      ;(this.shared ??= new Map()).set(key, pending)
    }
    return pending
  }

  visit(this: Fanout, since: number, connection: WebSocketConnection): void {
    if (since < this.started && connection !== this.except && this.to(connection)) this.sent++
  }

  /** Sends the message to `connection`; false when it is not open (nothing sent) or was cut off by it. */
  to(connection: WebSocketConnection): boolean {
    // Closing (our close frame sent or waiting behind a compression): nothing may follow it, and it is no recipient.
    if (!connection.connected || !connection.socket.writable) return false
    const opts = connection._opts
    const plain = connection._deflate === null && !connection.maskOutgoingPackets
    const out = connection._out()
    if (opts.maxOutputBufferSize === 0) {
      const backlog = plain ? out.backlog() : connection.bytesWaitingToFlush
      if (backlog > FANOUT_BACKLOG) {
        connection.drop(1008, TEXT_OUTPUT_BUFFER_FULL, true)
        return false
      }
    }
    if (!plain) {
      const session = connection._deflate
      if (session !== null && !connection.maskOutgoingPackets && this.payload.length >= session.pmd.threshold) {
        const shared = this.sharedFor(session.pmd)
        if (shared !== null) {
          session.send(this.opcode, this.payload, opts.fragmentationThreshold, undefined, shared)
          return !connection.closeEventEmitted
        }
      }
      connection._sendPayload(this.opcode, this.payload)
      return !connection.closeEventEmitted
    }
    const threshold = opts.fragmentationThreshold
    if (this.frames === null || threshold !== this.framesThreshold) {
      this.frames = encodeUnmasked(this.opcode, this.payload, threshold)
      this.framesThreshold = threshold
    }
    connection._afterWrite(out.write(this.frames))
    // Cut off by the output-buffer limit because of this very message: it will not arrive.
    return !connection.closeEventEmitted
  }
}

/** Sends `payload` (opcode 1 text: its UTF-8 bytes, or 2 binary) to every connection in `connections`. */
export function broadcastMessage(connections: readonly WebSocketConnection[], opcode: number, payload: Buffer): void {
  const fanout = new Fanout(opcode, payload)
  for (const connection of connections) fanout.to(connection)
}

/**
 * Sends `payload` to the subscribers in `subs` that subscribed before the publish numbered `started`, except
 * `except` (see pubsub/topics.ts); returns how many it was sent to.
 */
export function publishMessage(
  subs: Map<WebSocketConnection, number>,
  started: number,
  except: WebSocketConnection | null,
  opcode: number,
  payload: Buffer,
): number {
  const fanout = new Fanout(opcode, payload)
  fanout.started = started
  fanout.except = except
  // forEach: for-of over a Map's entries makes a [key, value] array per subscriber.
  subs.forEach(fanout.visit, fanout)
  return fanout.sent
}
