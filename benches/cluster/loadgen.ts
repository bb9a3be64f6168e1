/**
 * Load generator of the cluster benchmark: raw `net` sockets, a hand-written upgrade, frames parsed from their
 * headers only (the first bytes of each payload are read for the send timestamp, the rest skipped), so the client
 * costs far less per message than the servers. One publisher connection to node 0 sends 1 KiB text messages
 * carrying process.hrtime (this process's clock: the latency is send → delivery, measured in one process);
 * `subs` subscriber connections per node count deliveries. Flow control: at most `window` messages are published
 * beyond what the first subscriber of every node has received, so Redis and the servers are never flooded.
 * `node … loadgen.ts '<json job>'`; the result goes back over IPC.
 */
import { randomBytes } from 'node:crypto'
import net from 'node:net'

interface Job {
  impl: 'ferrosocket' | 'socketio'
  ports: number[]
  subs: number
  size: number
  window: number
  warmupMs: number
  durationMs: number
}
const job = JSON.parse(process.argv[2]!) as Job
const sio = job.impl === 'socketio'

/** Bytes that came with the 101 response (the caller feeds them to its parser first). */
const early = new WeakMap<net.Socket, Buffer>()

function connect(port: number, pub: boolean): Promise<net.Socket> {
  const path = sio ? `/socket.io/?EIO=4&transport=websocket${pub ? '&pub=1' : ''}` : pub ? '/pub' : '/'
  const key = randomBytes(16).toString('base64')
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    socket.once('error', reject)
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()))
      const rest = head.subarray(end + 4)
      early.set(socket, rest)
      resolve(socket)
    }
    socket.on('data', onData)
  })
}

const MASK = Buffer.from([1, 2, 3, 4])
function frame(text: string): Buffer {
  const payload = Buffer.from(text)
  const n = payload.length
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 0xff])
  for (let i = 0; i < n; i++) payload[i]! ^= MASK[i & 3]!
  return Buffer.concat([head, MASK, payload])
}

/** Server → client frames: calls onText(first bytes of the payload as latin1) per complete text message. */
class Parser {
  private buf = Buffer.alloc(0)
  private skip = 0
  constructor(private readonly onText: (start: string) => void) {}
  feed(chunk: Buffer): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length)
      this.skip -= n
      chunk = chunk.subarray(n)
      if (chunk.length === 0) return
    }
    let b = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk
    let i = 0
    for (;;) {
      if (b.length - i < 2) break
      let len = b[i + 1]! & 0x7f
      let h = 2
      if (len === 126) {
        if (b.length - i < 4) break
        len = b.readUInt16BE(i + 2)
        h = 4
      } else if (len === 127) {
        if (b.length - i < 10) break
        len = Number(b.readBigUInt64BE(i + 2))
        h = 10
      }
      const need = Math.min(len, 48)
      if (b.length - i < h + need) break
      if ((b[i]! & 0x0f) === 1) this.onText(b.toString('latin1', i + h, i + h + need))
      const avail = b.length - i - h
      if (avail < len) {
        this.skip = len - avail
        i = b.length
        break
      }
      i += h + len
    }
    this.buf = i < b.length ? Buffer.from(b.subarray(i)) : Buffer.alloc(0)
    b = Buffer.alloc(0)
  }
}

const now = () => process.hrtime.bigint()
const filler = 'x'.repeat(job.size)
/** A 1 KiB (job.size) text with the send time at its start. */
const message = () => {
  const head = `${now()}:`
  return head + filler.slice(head.length)
}

const nodes = job.ports.length
let measuring = false
let deliveries = 0
let cross = 0
let published = 0
const sentinel = new Array<number>(nodes).fill(0)
const lat: number[] = []
const crossLat: number[] = []
let publisher: net.Socket

function pump(): void {
  const low = Math.min(...sentinel)
  while (sentSeq - low < job.window) {
    sentSeq++
    if (measuring) published++
    publisher.write(frame(sio ? `42${JSON.stringify(['pub', message()])}` : message()))
  }
}
let sentSeq = 0

const subs: net.Socket[] = []
for (let n = 0; n < nodes; n++) {
  for (let s = 0; s < job.subs; s++) {
    const socket = await connect(job.ports[n]!, false)
    const first = s === 0
    const parser = new Parser((start) => {
      if (sio) {
        if (start.startsWith('0{')) socket.write(frame('40'))
        else if (start === '2') socket.write(frame('3'))
        if (!start.startsWith('42')) return
        start = start.slice(8)
      }
      const colon = start.indexOf(':')
      if (colon < 0) return
      const ns = Number(now() - BigInt(start.slice(0, colon)))
      if (first) {
        sentinel[n]!++
        pump()
      }
      if (!measuring) return
      deliveries++
      if (lat.length < 4_000_000) lat.push(ns)
      if (n !== 0) {
        cross++
        if (crossLat.length < 4_000_000) crossLat.push(ns)
      }
    })
    socket.on('data', (c: Buffer) => parser.feed(c))
    parser.feed(early.get(socket)!)
    subs.push(socket)
  }
}
publisher = await connect(job.ports[0]!, true)
if (sio) {
  // Engine.IO open packet, then connect the default namespace.
  await new Promise<void>((resolve) => {
    const p = new Parser((start) => {
      if (start.startsWith('0{')) publisher.write(frame('40'))
      else if (start.startsWith('40')) resolve()
      else if (start === '2') publisher.write(frame('3'))
    })
    publisher.on('data', (c: Buffer) => p.feed(c))
    p.feed(early.get(publisher)!)
  })
}
// Let every subscription settle (Redis SUBSCRIBE of each node) before publishing.
await new Promise((resolve) => setTimeout(resolve, 500))
pump()
await new Promise((resolve) => setTimeout(resolve, job.warmupMs))
measuring = true
const t0 = now()
await new Promise((resolve) => setTimeout(resolve, job.durationMs))
measuring = false
const seconds = Number(now() - t0) / 1e9

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN
  const s = Float64Array.from(xs).sort()
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! / 1000
}
process.send!({
  seconds,
  published: published / seconds,
  deliveries: deliveries / seconds,
  cross: cross / seconds,
  p50: pct(lat, 50),
  p99: pct(lat, 99),
  crossP50: pct(crossLat, 50),
  crossP99: pct(crossLat, 99),
})
for (const s of [...subs, publisher]) s.destroy()
process.disconnect()
