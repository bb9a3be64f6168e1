/**
 * Child process of differential.spec.ts: runs generated frame-stream cases through a WebSocketConnection on the
 * backend chosen by FERROSOCKET_BACKEND (the codec is process-wide, so each backend needs its own process) and
 * prints one JSON result per case: every event and the bytes written out (mask keys zeroed, payloads unmasked,
 * since keys are random by design).
 *
 * stdin: JSON `DiffCase[]`; stdout: JSON `{ backend, results: DiffResult[] }`.
 */
import { Duplex } from 'node:stream'
import { backend } from '../../ts/codec/index.js'
import { WebSocketConnection } from '../../ts/WebSocketConnection.js'
import type { WebSocketFrame } from '../../ts/WebSocketFrame.js'

export interface DiffCase {
  role: 'server' | 'client'
  /** The peer's bytes (already masked as the role requires, or deliberately not). */
  hex: string
  /** Chunk boundaries (sorted offsets into the bytes). */
  cuts: number[]
  maxReceivedFrameSize: number
  maxReceivedMessageSize: number
  maxReceivedFragments: number
  assembleFragments: boolean
}

export interface DiffResult {
  events: string[]
  wire: string
  state: string
}

/** A socket that records writes and never delivers anything by itself. */
class FakeSocket extends Duplex {
  written: Buffer[] = []
  remoteAddress = '127.0.0.1'
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.written.push(Buffer.from(chunk))
    cb()
  }
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

/** Our outgoing frames with keys zeroed and payloads unmasked, so both processes can be compared byte for byte. */
function normalizeWire(buf: Buffer): string {
  const parts: string[] = []
  let i = 0
  while (buf.length - i >= 2) {
    const b1 = buf[i + 1] as number
    let len = b1 & 0x7f
    let hl = 2
    if (len === 126) {
      len = buf.length - i >= 4 ? buf.readUInt16BE(i + 2) : 0
      hl = 4
    } else if (len === 127) {
      len = buf.length - i >= 10 ? Number(buf.readBigUInt64BE(i + 2)) : 0
      hl = 10
    }
    const masked = (b1 & 0x80) !== 0
    const end = Math.min(buf.length, i + hl + (masked ? 4 : 0) + len)
    const key = masked ? buf.subarray(i + hl, i + hl + 4) : null
    const payload = Buffer.from(buf.subarray(i + hl + (masked ? 4 : 0), end))
    if (key) for (let j = 0; j < payload.length; j++) payload[j] = (payload[j] as number) ^ (key[j & 3] as number)
    parts.push(buf.subarray(i, i + hl).toString('hex') + (masked ? '/00000000/' : '/') + payload.toString('hex'))
    i = end
  }
  if (i < buf.length) parts.push('rest:' + buf.subarray(i).toString('hex'))
  return parts.join(' ')
}

async function runCase(c: DiffCase): Promise<DiffResult> {
  const socket = new FakeSocket()
  const events: string[] = []
  const conn = new WebSocketConnection(socket as never, [], undefined, c.role === 'client', {
    maxReceivedFrameSize: c.maxReceivedFrameSize,
    maxReceivedMessageSize: c.maxReceivedMessageSize,
    maxReceivedFragments: c.maxReceivedFragments,
    assembleFragments: c.assembleFragments,
    fragmentOutgoingMessages: true,
    fragmentationThreshold: 0x4000,
    keepalive: false,
    closeTimeout: 60000,
  })
  conn.on('message', (m) => {
    const data = m.type === 'utf8' ? Buffer.from(m.utf8Data) : m.binaryData
    events.push(`${m.type === 'utf8' ? 'text' : 'binary'} ${data.toString('hex')}`)
  })
  conn.on('frame', (f: WebSocketFrame) =>
    events.push(`frame ${+f.fin}${+f.rsv1} ${f.opcode} ${f.binaryPayload.toString('hex')}`),
  )
  conn.on('ping', (_cancel: () => void, data: Buffer) => events.push(`ping ${data.toString('hex')}`))
  conn.on('pong', (data: Buffer) => events.push(`pong ${data.toString('hex')}`))
  conn.on('close', (code: number, description: string) => events.push(`close ${code} ${description}`))
  conn.on('error', (e: Error) => events.push(`error ${e.message}`))
  conn._addSocketEventListeners()
  const bytes = Buffer.from(c.hex, 'hex')
  let at = 0
  for (const cut of [...c.cuts, bytes.length]) {
    if (cut <= at) continue
    if (!socket.destroyed) socket.push(Buffer.from(bytes.subarray(at, cut)))
    at = cut
    // Let 'data' flow chunk by chunk, as TCP reads would.
    await new Promise((r) => setImmediate(r))
  }
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
  const state = `${conn.state} ${conn.connected}`
  conn.removeAllListeners()
  conn.on('error', () => {})
  socket.destroy()
  return { events, wire: normalizeWire(Buffer.concat(socket.written)), state }
}

let input = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d: string) => (input += d))
process.stdin.on('end', () => {
  void (async () => {
    const cases = JSON.parse(input) as DiffCase[]
    const results: DiffResult[] = []
    for (const c of cases) results.push(await runCase(c))
    process.stdout.write(JSON.stringify({ backend, results }))
  })()
})
