/**
 * Echo CPU per message, in process: `npm run bench:echo-cpu [-- --baseline=<dist dir>] [--rounds=N]
 * [--workloads=a,b] [--impls=native,ts,base]`.
 *
 * What the end-to-end harness cannot show on a busy 2-core machine: the server's own work per echoed message,
 * without the kernel, the load generator or the scheduler. A `WebSocketConnection` (server role, the e2e server's
 * config and `'message'` → `sendUTF`/`sendBytes` listener) is fed masked frames through `handleSocketData`, cut into
 * the chunks a 64 KiB socket read gives, each chunk a fresh Buffer as Node's are; its socket is a `Duplex` that
 * drops what is written (the write path down to `socket.write`/`writev` runs, the system call does not). Each cell
 * is a fresh child process: warm-up, then batches timed with `process.cpuUsage()` (user + system) around the
 * feeding only; the cell reports the fastest batch (the least disturbed by other load), and the table the median
 * of the cells over rounds. Rounds interleave the implementations, the order rotating. `--baseline` loads an
 * earlier commit's build (its `index.js`, which loads its own addon) as `base`. `ws`: ws 8 (with bufferutil and
 * utf-8-validate when installed) set up on the same socket as its WebSocketServer does, echoing the Buffer as the
 * e2e server does — it hands out no string, which the WebSocket-Node API must.
 */
import { fork } from 'node:child_process'
import { Duplex } from 'node:stream'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from './lib/args.js'
import { clientFrame } from './lib/deflate-wire.js'
import { machineInfo } from './lib/machine.js'

const here = dirname(fileURLToPath(import.meta.url))

interface Workload {
  id: string
  label: string
  size: number
  binary: boolean
  ascii: boolean
  /** Messages per timed batch. */
  batch: number
}
const WORKLOADS: Workload[] = [
  { id: 'text-32B', label: 'text 32 B, one frame per read', size: 32, binary: false, ascii: true, batch: 20000 },
  { id: 'text-1KiB', label: 'text 1 KiB JSON-like, one frame per read', size: 1024, binary: false, ascii: true, batch: 10000 },
  { id: 'text-64KiB-ascii', label: 'text 64 KiB ASCII, 64 KiB reads', size: 65536, binary: false, ascii: true, batch: 400 },
  { id: 'text-64KiB-mixed', label: 'text 64 KiB mixed-script, 64 KiB reads', size: 65536, binary: false, ascii: false, batch: 200 },
  { id: 'binary-64KiB', label: 'binary 64 KiB, 64 KiB reads', size: 65536, binary: true, ascii: false, batch: 400 },
  { id: 'binary-1MiB', label: 'binary 1 MiB, 64 KiB reads', size: 1 << 20, binary: true, ascii: false, batch: 40 },
]
const READ = 64 * 1024
const KEY = Buffer.from([0x12, 0x34, 0x56, 0x78])
const MAX = 64 * 1024 * 1024

/** The payload of a workload: deterministic; mixed = Latin, Cyrillic, CJK and emoji, as bench:text uses. */
function payload(w: Workload): Buffer {
  if (w.binary) {
    const b = Buffer.allocUnsafe(w.size)
    for (let i = 0; i < b.length; i++) b[i] = (i * 131 + (i >> 9)) & 0xff
    return b
  }
  const unit = w.ascii ? '{"id":12345,"name":"sensor-7","value":3.14159,"ok":true},' : 'Hello, мир! 你好世界 🎉 café '
  let s = ''
  while (Buffer.byteLength(s) < w.size) s += unit
  const b = Buffer.from(s)
  // Cut at a code point boundary at or below size, then pad with ASCII to the exact size.
  let end = w.size
  while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--
  return Buffer.concat([b.subarray(0, end), Buffer.alloc(w.size - end, 0x61)])
}

/** A socket that accepts every write at once and drops it. */
class NullSocket extends Duplex {
  remoteAddress = '127.0.0.1'
  written = 0
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.written += chunk.length
    cb()
  }
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    for (const c of chunks) this.written += c.chunk.length
    cb()
  }
  override _read(): void {}
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  setTimeout(): this {
    return this
  }
}

interface Conn {
  on(event: 'message', fn: (m: { type: string; utf8Data?: string; binaryData?: Buffer }) => void): void
  sendUTF(s: string): void
  sendBytes(b: Buffer): void
  handleSocketData(b: Buffer): void
  _addSocketEventListeners?: () => void
}

/** ws 8 as its WebSocketServer sets a connection up (`completeUpgrade`), echoing as the e2e server does. */
async function wsEcho(socket: NullSocket, onMessage: () => void): Promise<void> {
  const { WebSocket } = (await import('ws')) as unknown as {
    WebSocket: new (a: null, b: undefined, o: object) => {
      setSocket(s: Duplex, head: Buffer, o: object): void
      on(e: 'message', fn: (data: Buffer, isBinary: boolean) => void): void
      send(data: Buffer, o: { binary: boolean }): void
    }
  }
  const options = { maxPayload: MAX, allowSynchronousEvents: true, skipUTF8Validation: false }
  const ws = new WebSocket(null, undefined, options)
  ws.setSocket(socket, Buffer.alloc(0), options)
  ws.on('message', (data, isBinary) => {
    onMessage()
    ws.send(data, { binary: isBinary })
  })
}

async function child(impl: string, entry: string, id: string): Promise<void> {
  const w = WORKLOADS.find((x) => x.id === id)!
  if (impl === 'ts') process.env.FERROSOCKET_BACKEND = 'ts'
  else process.env.FERROSOCKET_BACKEND = 'native'
  const socket = new NullSocket()
  let got = 0
  if (impl === 'ws') await wsEcho(socket, () => got++)
  else await ferroEcho(entry, socket, () => got++)
  const wire = clientFrame(payload(w), { opcode: w.binary ? 2 : 1, compressed: false, key: KEY })
  // The reads a peer's write of this frame gives: 64 KiB at a time; small frames one per read.
  const cuts: [number, number][] = []
  for (let at = 0; at < wire.length; at += READ) cuts.push([at, Math.min(at + READ, wire.length)])
  const prepare = (): Buffer[] => {
    const chunks: Buffer[] = []
    for (let i = 0; i < w.batch; i++) for (const [a, b] of cuts) chunks.push(Buffer.from(wire.subarray(a, b)))
    return chunks
  }
  const batches = Number(process.env.ECHO_CPU_BATCHES ?? 12)
  let best = Infinity
  for (let r = 0; r < batches + 3; r++) {
    const chunks = prepare()
    const before = got
    const t0 = process.cpuUsage()
    // As Node's stream does: the 'data' listeners (ours: handleSocketData; ws: its receiver) run synchronously.
    for (let i = 0; i < chunks.length; i++) socket.emit('data', chunks[i] as Buffer)
    const t = process.cpuUsage(t0)
    if (got - before !== w.batch) throw new Error(`${impl} ${id}: ${got - before} messages of ${w.batch}`)
    // Let the turn end (setImmediate flushes, GC of the batch) outside the timed part.
    await new Promise((r2) => setImmediate(r2))
    if (r < 3) continue
    best = Math.min(best, ((t.user + t.system) * 1000) / w.batch)
  }
  // Replies are unmasked: 4 bytes less per frame than the masked input (ours may fragment: a few header bytes more).
  const expectOut = got * (wire.length - 4)
  if (socket.written < expectOut) throw new Error(`${impl} ${id}: wrote ${socket.written} of ${expectOut}`)
  // Run alone (`--child native dist/index.js binary-1MiB`, e.g. under --cpu-prof): the result on stdout.
  if (process.send) process.send({ nsPerMsg: best })
  else console.log(`${impl} ${id}: ${(best / 1000).toFixed(2)} µs/msg`)
  process.exit(0)
}

async function ferroEcho(entry: string, socket: NullSocket, onMessage: () => void): Promise<void> {
  const lib = (await import(entry)) as { connection: new (...a: unknown[]) => Conn }
  const conn = new lib.connection(socket, [], undefined, false, {
    maxReceivedFrameSize: MAX,
    maxReceivedMessageSize: MAX,
    fragmentOutgoingMessages: true,
    fragmentationThreshold: 0x4000,
    // WebSocketServer's defaults (the e2e server runs with them): keepalive pings after 20 s of silence.
    keepalive: true,
    keepaliveInterval: 20000,
    keepaliveGracePeriod: 10000,
    dropConnectionOnKeepaliveTimeout: true,
    assembleFragments: true,
    disableNagleAlgorithm: true,
    closeTimeout: 5000,
  })
  conn.on('message', (m) => {
    onMessage()
    if (m.type === 'utf8') conn.sendUTF(m.utf8Data!)
    else conn.sendBytes(m.binaryData!)
  })
  conn._addSocketEventListeners?.()
}

async function main(): Promise<void> {
  const args = parseArgs()
  const rounds = Number(args.get('rounds') ?? 5)
  const baseline = args.get('baseline')
  const ids = args.get('workloads')?.split(',') ?? WORKLOADS.map((w) => w.id)
  const impls = args.get('impls')?.split(',') ?? ['native', 'ts', 'ws', ...(baseline ? ['base'] : [])]
  const entryOf = (impl: string): string =>
    impl === 'base' ? join(resolve(baseline as string), 'index.js') : join(here, '..', 'dist', 'index.js')
  const cells = new Map<string, number[]>()
  const load0 = (await import('node:os')).loadavg()
  for (let round = 0; round < rounds; round++) {
    const order = impls.map((_, i) => impls[(i + round) % impls.length] as string)
    for (const id of ids) {
      for (const impl of order) {
        const ns = await new Promise<number>((ok, fail) => {
          const c = fork(fileURLToPath(import.meta.url), ['--child', impl, entryOf(impl), id], {
            execArgv: ['--import', '@oxc-node/core/register'],
          })
          c.once('message', (m: { nsPerMsg: number }) => ok(m.nsPerMsg))
          c.once('exit', (code) => code !== 0 && fail(new Error(`${impl} ${id} exited ${code}`)))
        })
        const key = `${id}|${impl}`
        cells.set(key, [...(cells.get(key) ?? []), ns])
        console.log(`round ${round + 1}/${rounds} ${impl.padEnd(6)} ${id.padEnd(18)} ${(ns / 1000).toFixed(2)} µs/msg`)
      }
    }
  }
  const load1 = (await import('node:os')).loadavg()
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    return s[(s.length - 1) >> 1] as number
  }
  const m = machineInfo()
  const lines = [
    '# Echo CPU per message, in process (`npm run bench:echo-cpu`)',
    '',
    `- date ${new Date().toISOString()}, commit ${m.commit}; ${m.cpu}, ${m.cores} cores; Node ${process.version}`,
    `- ${rounds} interleaved rounds; each cell a fresh process, the fastest of its timed batches (user + system CPU`,
    '  around `handleSocketData` only); the table: median over rounds (min–max in brackets).',
    `- load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${load1.map((x) => x.toFixed(2)).join(' ')}`,
    '- server role, the e2e server\'s config and echo listener; masked frames cut into 64 KiB reads, each a fresh Buffer;',
    '  the socket a Duplex that drops writes (no system calls). µs of CPU per echoed message, lower is better.',
    ...(baseline ? [`- base: the build in \`${baseline}\` (its own addon)`] : []),
    '',
    `| workload | ${impls.join(' | ')}${baseline ? ' | native ÷ base' : ''} |`,
    `|---|${impls.map(() => '---:').join('|')}|${baseline ? '---:|' : ''}`,
  ]
  for (const id of ids) {
    const w = WORKLOADS.find((x) => x.id === id)!
    const row = impls.map((impl) => {
      const xs = cells.get(`${id}|${impl}`) ?? []
      return `${(median(xs) / 1000).toFixed(2)} (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`
    })
    const ratio = baseline
      ? ` | ${(median(cells.get(`${id}|native`) ?? []) / median(cells.get(`${id}|base`) ?? [])).toFixed(2)}×`
      : ''
    lines.push(`| ${w.label} | ${row.join(' | ')}${ratio} |`)
  }
  const md = lines.join('\n') + '\n'
  console.log('\n' + md)
  if (!args.has('no-write')) {
    const out = join(here, 'results')
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, 'echo-cpu.md'), md)
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!)
else await main()
