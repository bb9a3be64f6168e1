/**
 * Broadcast: one message to many server connections, framed once. Server frames are unmasked, so every
 * connection with the same fragmentation threshold gets the very same bytes: they are encoded once per
 * threshold and that one Buffer is written to each socket (issue 7: the per-connection framing cost was most of a
 * broadcast's CPU beside the write itself). Connections with permessage-deflate (compressed per connection, with
 * their own context) or that mask (client role) take their normal send path. Each write is accounted as a normal
 * send's (`outputBufferFull`, `maxOutputBufferSize`); connections not open are skipped, as `sendUTF` does.
 */
import { encodeUnmasked } from '../Sender.js'
import type { WebSocketConnection } from '../WebSocketConnection.js'

/** Sends `payload` (text when `text` is not null: its UTF-8 bytes) to every connection in `connections`. */
export function broadcastMessage(
  connections: readonly WebSocketConnection[],
  payload: Buffer,
  text: string | null,
): void {
  const opcode = text === null ? 0x02 : 0x01
  let frames: Buffer | null = null
  let framesThreshold = -1
  for (const connection of connections) {
    if (connection._deflate !== null || connection.maskOutgoingPackets) {
      if (text === null) connection.sendBytes(payload)
      else connection.sendUTF(text)
      continue
    }
    const socket = connection.socket
    if (!socket.writable) continue
    const threshold = connection._opts.fragmentationThreshold
    if (frames === null || threshold !== framesThreshold) {
      frames = encodeUnmasked(opcode, payload, threshold)
      framesThreshold = threshold
    }
    connection._afterWrite(socket.write(frames))
  }
}
