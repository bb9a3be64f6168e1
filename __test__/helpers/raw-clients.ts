// Raw TCP clients of a WebSocketServer that collect every byte after their 101 (broadcast and topics specs).
import net from 'node:net'
import type { ExecutionContext } from 'ava'
import { handshake } from './server-harness.js'
import type { Harness } from './server-harness.js'

/** A raw client after its 101: collects every byte that follows. */
export interface RawClient {
  socket: net.Socket
  bytes: Buffer
  ended: boolean
}

export const MARKER = Buffer.from('8903656e64', 'hex') // ping "end", sent by the server to close a capture

export function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  let done = false
  await withTimeout(
    (async () => {
      while (!cond() && !done) await new Promise((r) => setTimeout(r, 2))
    })(),
    what,
    ms,
  ).finally(() => (done = true))
}

/** Connects `n` raw clients and waits until the server holds all of them, in connection order. */
export async function rawClients(t: ExecutionContext, h: Harness, n: number): Promise<RawClient[]> {
  const clients: RawClient[] = []
  const before = h.wsServer.connections.length
  for (let i = 0; i < n; i++) {
    const socket = net.connect(h.port, '127.0.0.1')
    t.teardown(() => socket.destroy())
    const c: RawClient = { socket, bytes: Buffer.alloc(0), ended: false }
    let head = Buffer.alloc(0)
    let upgraded = false
    socket.on('data', (d: Buffer) => {
      if (upgraded) {
        c.bytes = Buffer.concat([c.bytes, d])
        return
      }
      head = Buffer.concat([head, d])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      upgraded = true
      c.bytes = head.subarray(end + 4)
    })
    socket.on('end', () => (c.ended = true))
    socket.on('error', () => {})
    socket.write(handshake())
    clients.push(c)
    await until(() => upgraded && h.wsServer.connections.length === before + i + 1, `client ${i} upgraded`)
  }
  return clients
}

/** Pings every connection with the marker, waits for it on every client, returns and clears what came before. */
export async function capture(h: Harness, clients: RawClient[]): Promise<string[]> {
  for (const c of h.wsServer.connections) c.ping('end')
  await until(() => clients.every((c) => c.bytes.subarray(-MARKER.length).equals(MARKER)), 'marker')
  return clients.map((c) => {
    const before = c.bytes.subarray(0, c.bytes.length - MARKER.length).toString('hex')
    c.bytes = Buffer.alloc(0)
    return before
  })
}
