/**
 * Raw load generator for the permessage-deflate workloads (issue 9): like `loadgen.ts` (plain `net` sockets, a
 * hand-written upgrade, one message in flight per connection) but it offers `permessage-deflate` and checks every
 * reply. The messages are JSON chat/event texts from a seeded PRNG (`lib/textgen.ts`), compressed once up front
 * through one context-takeover deflater and masked once (`lib/deflate-wire.ts`); each connection sends them in
 * order from the first, wrapping round. Each reply is reassembled, inflated with the connection's own
 * context-keeping inflater and compared byte for byte with the message sent: a wrong reply fails the cell.
 * A server that declines compression (websocket@1.0.35) gets the same texts uncompressed, when the job allows it.
 * `node … loadgen-deflate.ts '<json job>'`; the result goes back over IPC.
 */
import net from 'node:net'
import { OFFER, MessageInflater, MessageParser, agreedFromResponse, clientFrame, deflateSequence, upgradeRequest, upgradeSocket, type Agreed, type WireMessage } from '../lib/deflate-wire.js'
import { jsonMessages } from '../lib/textgen.js'
import { measureWindow, now, percentiles } from '../lib/window.js'

interface Job {
  port: number
  conns: number
  size: number
  /** How many distinct messages each connection cycles through. */
  messages: number
  seed: number
  /** Send the texts as binary messages (the server echoes binary as binary, no string round trip). */
  binary: boolean
  /** Fail unless the server agrees to permessage-deflate. */
  requireDeflate: boolean
  warmupMs: number
  durationMs: number
}
const job = JSON.parse(process.argv[2]!) as Job

const KEY = Buffer.from([0x12, 0x34, 0x56, 0x78])
const UPGRADE = upgradeRequest(job.port, `Sec-WebSocket-Extensions: ${OFFER}\r\n`)

interface Conn {
  socket: net.Socket
  agreed: Agreed | null
}

/** Connect and upgrade with the offer; resolves with the socket and what the server agreed to. */
async function connect(onData: (b: Buffer) => void): Promise<Conn> {
  const { socket, head } = await upgradeSocket(job.port, UPGRADE, onData)
  return { socket, agreed: agreedFromResponse(head) }
}

let failure: string | null = null
function fail(why: string): void {
  failure ??= why
}

async function run(): Promise<object> {
  const texts = jsonMessages(job.seed, job.size, job.messages)
  const compressed = await deflateSequence(texts)
  const opcode = job.binary ? 2 : 1
  const deflatedFrames = compressed.map((p) => clientFrame(p, { opcode, compressed: true, key: KEY }))
  const plainFrames = texts.map((p) => clientFrame(p, { opcode, compressed: false, key: KEY }))
  const clientWire = deflatedFrames.reduce((a, f) => a + f.length, 0)

  let measuring = false
  let done = 0
  let payloadBytes = 0
  let wireBytes = 0
  let compressedReplies = 0
  const lat = new Float64Array(1 << 20)
  let nLat = 0

  const conns: Conn[] = []
  const lanes = Array.from({ length: job.conns }, () => ({ next: 0, sentAt: 0, frames: plainFrames }))
  const send = (i: number) => {
    const lane = lanes[i]!
    lane.sentAt = now()
    conns[i]!.socket.write(lane.frames[lane.next % job.messages]!)
  }
  const onReply = (i: number, m: WireMessage, plain: Buffer) => {
    const lane = lanes[i]!
    const want = texts[lane.next % job.messages]!
    if (m.opcode !== opcode) return fail(`conn ${i}: reply opcode ${m.opcode}, sent ${opcode}`)
    if (!plain.equals(want)) return fail(`conn ${i}: reply ${lane.next} differs from the message sent (${plain.length} vs ${want.length} bytes)`)
    if (measuring) {
      done++
      payloadBytes += plain.length
      wireBytes += m.wireBytes
      if (m.compressed) compressedReplies++
      if (nLat < lat.length) lat[nLat++] = now() - lane.sentAt
    }
    lane.next++
    if (failure === null) send(i)
  }

  const open = async (i: number) => {
    const inflater = new MessageInflater()
    // Replies are handled strictly in order: an inflate in flight holds back the next message of the connection.
    let chain = Promise.resolve()
    const parser = new MessageParser((m) => {
      chain = chain.then(async () => {
        if (failure !== null) return
        try {
          const plain = m.compressed ? await inflater.inflate(m.payload) : m.payload
          onReply(i, m, plain)
        } catch (err) {
          fail(`conn ${i}: bad reply: ${String(err)}`)
        }
      })
    })
    const c = await connect((b) => {
      try {
        parser.feed(b)
      } catch (err) {
        fail(`conn ${i}: ${String(err)}`)
      }
    })
    c.socket.on('error', () => {})
    c.socket.on('close', () => fail(`conn ${i}: closed by the server`))
    c.socket.on('end', () => fail(`conn ${i}: closed by the server`))
    if (c.agreed !== null) {
      // The frames were compressed with context takeover and a 15-bit window; a server asking for less is not one
      // this benchmark can drive (none of the servers under test does with its defaults).
      if (c.agreed.clientNoContextTakeover || c.agreed.clientMaxWindowBits < 15) {
        throw new Error(`server asked for ${JSON.stringify(c.agreed)}; the load generator compresses with context takeover, 15 bits`)
      }
      lanes[i]!.frames = deflatedFrames
    } else if (job.requireDeflate) {
      throw new Error('server did not agree to permessage-deflate')
    }
    conns[i] = c
    return inflater
  }
  const inflaters: MessageInflater[] = []
  let nextConn = 0
  await Promise.all(
    Array.from({ length: Math.min(100, job.conns) }, async () => {
      while (nextConn < job.conns) {
        const i = nextConn++
        inflaters[i] = await open(i)
      }
    }),
  )
  const agreed = conns.filter((c) => c.agreed !== null).length
  for (let i = 0; i < job.conns; i++) send(i)
  const { secs, clientCpu } = await measureWindow(job.warmupMs, job.durationMs, (on) => (measuring = on))
  const f = failure as string | null
  failure ??= 'stopping'
  for (const c of conns) c.socket.destroy()
  for (const z of inflaters) z.close()
  if (f !== null) throw new Error(f)
  if (done === 0) throw new Error('no reply in the measured window')
  return {
    roundTrips: done,
    perSec: done / secs,
    mbPerSec: payloadBytes / secs / 1e6,
    /** Server replies: wire bytes (headers included) ÷ uncompressed payload bytes. */
    replyRatio: wireBytes / payloadBytes,
    /** What this client sent, same measure; identical for every server that agreed to compress. */
    requestRatio: agreed > 0 ? clientWire / (job.size * job.messages) : 1,
    compressedShare: compressedReplies / done,
    agreed: agreed / job.conns,
    ...percentiles(lat, nLat),
    clientCpu,
  }
}

process.on('disconnect', () => process.exit(0))
try {
  const r = await run()
  process.send!(r, () => process.exit(0))
} catch (err) {
  // run.ts turns this into the cell's error (the cell fails, nothing is timed).
  process.send!({ error: err instanceof Error ? err.message : String(err) }, () => process.exit(1))
}
