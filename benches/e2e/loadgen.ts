/**
 * Raw load generator (load_test style): plain `net` sockets on 127.0.0.1, a hand-written upgrade request, frames
 * pre-encoded and masked once, replies counted by parsing only frame headers (payload bytes are skipped, never
 * copied or decoded), so the client costs far less per message than any server under test.
 * `node … loadgen.ts '<json job>'`; the result goes back over IPC. Jobs: echo, broadcast, connrate, idle.
 */
import net from 'node:net'
import { clientFrame, upgradeRequest, upgradeSocket } from '../lib/deflate-wire.js'
import { measureWindow, now, percentiles } from '../lib/window.js'

interface Job {
  kind: 'echo' | 'broadcast' | 'connrate' | 'idle'
  port: number
  conns: number
  size: number
  binary: boolean
  /** Text payload: pure ASCII instead of the mixed-script default. */
  ascii?: boolean
  warmupMs: number
  durationMs: number
  /** broadcast: triggers in flight; connrate: handshakes in flight. */
  window: number
}
const job = JSON.parse(process.argv[2]!) as Job

const KEY = Buffer.from([0x12, 0x34, 0x56, 0x78])
const UPGRADE = upgradeRequest(job.port)

/** Valid UTF-8 of exactly `n` bytes, ~1/3 ASCII, the rest 2-, 3- and 4-byte sequences (like the micro suite). */
function text(n: number, ascii = false): Buffer {
  if (ascii) return Buffer.alloc(n, '{"user":"ana","event":"typing","room":42} ')
  const unit = Buffer.from('echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 ')
  const out = Buffer.alloc(n, 0x61)
  let i = 0
  while (i + unit.length <= n) i += unit.copy(out, i)
  return out
}

/** One client-to-server frame, masked with KEY. */
function frame(payload: Buffer, binary: boolean): Buffer {
  return clientFrame(payload, { opcode: binary ? 2 : 1, compressed: false, key: KEY })
}

/**
 * Counts data payload bytes in a server-to-client byte stream (unmasked frames, any fragmentation), calling
 * `onMessage` each time another `size` bytes have arrived (servers may fragment: websocket@1.0.35 cuts at 16 KiB).
 */
class Counter {
  private header = Buffer.alloc(14)
  private have = 0
  private skip = 0
  private data = false
  private bytes = 0
  constructor(
    private readonly size: number,
    private readonly onMessage: () => void,
  ) {}

  feed(b: Buffer): void {
    let i = 0
    const n = b.length
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i)
        this.skip -= k
        i += k
        if (this.data) this.count(k)
        continue
      }
      this.header[this.have++] = b[i++]!
      if (this.have < 2) continue
      const len7 = this.header[1]! & 0x7f
      const need = len7 < 126 ? 2 : len7 === 126 ? 4 : 10
      if (this.have < need) continue
      const len = len7 < 126 ? len7 : len7 === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2))
      this.data = (this.header[0]! & 0x08) === 0
      this.have = 0
      this.skip = len
    }
  }

  private count(k: number): void {
    this.bytes += k
    while (this.bytes >= this.size) {
      this.bytes -= this.size
      this.onMessage()
    }
  }
}

/** Connect and upgrade; resolves with the socket once the 101 is in, leftover bytes fed to `onData`. */
async function connect(onData: (b: Buffer) => void): Promise<net.Socket> {
  return (await upgradeSocket(job.port, UPGRADE, onData)).socket
}

async function connectAll(n: number, onData: (i: number) => (b: Buffer) => void, parallel = 100): Promise<net.Socket[]> {
  const sockets: net.Socket[] = new Array<net.Socket>(n)
  let next = 0
  const lane = async () => {
    while (next < n) {
      const i = next++
      sockets[i] = await connect(onData(i))
      sockets[i].on('error', () => {})
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane))
  return sockets
}


async function echo(): Promise<object> {
  const payload = job.binary ? Buffer.alloc(job.size, 0x5a) : text(job.size, job.ascii)
  const f = frame(payload, job.binary)
  // `window` messages in flight per connection (1 = strict ping-pong). Replies come back in order, so each
  // connection keeps a ring of its send times and a reply's latency is measured against the oldest one.
  const W = Math.max(1, job.window)
  let measuring = false
  let done = 0
  const lat = new Float64Array(1 << 20)
  let nLat = 0
  const sentAt = new Float64Array(job.conns * W)
  const sendIdx = new Uint32Array(job.conns)
  const recvIdx = new Uint32Array(job.conns)
  const sockets: net.Socket[] = []
  const sockets2 = await connectAll(job.conns, (i) => {
    const c = new Counter(job.size, () => {
      const t = now()
      if (measuring) {
        done++
        if (nLat < lat.length) lat[nLat++] = t - sentAt[i * W + (recvIdx[i]! % W)]!
      }
      recvIdx[i]!++
      sentAt[i * W + (sendIdx[i]! % W)] = t
      sendIdx[i]!++
      sockets[i]!.write(f)
    })
    return (b) => c.feed(b)
  })
  sockets.push(...sockets2)
  const burst = Buffer.concat(Array.from({ length: W }, () => f))
  for (let i = 0; i < job.conns; i++) {
    for (let k = 0; k < W; k++) sentAt[i * W + k] = now()
    sendIdx[i] = W
    sockets[i]!.write(burst)
  }
  const { secs, clientCpu } = await measureWindow(job.warmupMs, job.durationMs, (on) => (measuring = on))
  for (const s of sockets) s.destroy()
  return {
    roundTrips: done,
    perSec: done / secs,
    mbPerSec: (done * job.size) / secs / 1e6,
    ...percentiles(lat, nLat),
    clientCpu,
  }
}

async function broadcast(): Promise<object> {
  const f = frame(text(job.size), false)
  let delivered = 0
  let measured = 0
  let measuring = false
  let sent = 0
  let trigger: net.Socket | null = null
  const pump = () => {
    // Bounded backlog: trigger k goes out once (k - window) full rounds have been delivered.
    while (trigger !== null && delivered >= (sent - job.window) * job.conns) {
      sent++
      trigger.write(f)
    }
  }
  const sockets = await connectAll(job.conns, () => {
    const c = new Counter(job.size, () => {
      delivered++
      if (measuring) measured++
    })
    return (b) => {
      c.feed(b)
      pump()
    }
  })
  trigger = sockets[0]!
  pump()
  const { secs } = await measureWindow(job.warmupMs, job.durationMs, (on) => (measuring = on))
  for (const s of sockets) s.destroy()
  return { delivered: measured, perSec: measured / secs }
}

async function connrate(): Promise<object> {
  let measuring = false
  let count = 0
  let stop = false
  const lane = async () => {
    while (!stop) {
      const s = await connect(() => {})
      if (measuring) count++
      s.resetAndDestroy()
    }
  }
  const lanes = Array.from({ length: job.window }, lane)
  const { secs } = await measureWindow(job.warmupMs, job.durationMs, (on) => (measuring = on), false)
  stop = true
  await Promise.all(lanes)
  return { handshakes: count, perSec: count / secs }
}

async function idle(): Promise<void> {
  const sockets = await connectAll(job.conns, () => () => {}, 200)
  process.send!({ ready: sockets.length })
  process.on('message', () => {
    for (const s of sockets) s.destroy()
    process.exit(0)
  })
}

process.on('disconnect', () => process.exit(0))
if (job.kind === 'idle') await idle()
else {
  const r = job.kind === 'echo' ? await echo() : job.kind === 'broadcast' ? await broadcast() : await connrate()
  process.send!(r, () => process.exit(0))
}
