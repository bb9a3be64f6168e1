// L8 of scripts/soak.mjs (issue 13): permessage-deflate floods against the echo server in the soak child.
//   flood        one raw peer writes small compressed texts as fast as TCP takes them (and reads what comes back)
//                while an honest `ws` client (compressing everything) does round trips on a second connection.
//                Pass: server RSS flat within ±50 MB after a 2 s warm-up, honest p99 round trip < 10 ms.
//   never reads  a raw peer floods and never reads; every echo is compressed (threshold 0), so the backlog is
//                mostly sends queued behind compression. Pass: maxOutputBufferSize (8 MiB) cuts it off (1008).
//   plain flood  a raw peer writes plain (uncompressed) 2 KB texts as fast as TCP takes them and reads the echoes,
//                which the server compresses: parsing outruns compression unless reading stops while sends wait
//                for it. Pass: server RSS flat within ±50 MB, echoes keep arriving.
// The same flood against `ws` (impl 'ws' in the soak child) is measured in the long run, for comparison.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import os from 'node:os'
import zlib from 'node:zlib'
import WebSocket from 'ws'

const MB = 1024 * 1024
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const HANDSHAKE =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n'

/** One compressed text frame, masked with a zero key, repeated to at least 64 KiB. */
function floodBlock(text) {
  const z = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  const payload = z.subarray(0, z.length - 4)
  const len = payload.length
  const head = len < 126 ? Buffer.from([0xc1, 0x80 | len]) : Buffer.from([0xc1, 0x80 | 126, len >> 8, len & 0xff])
  const frame = Buffer.concat([head, Buffer.alloc(4), payload])
  return Buffer.alloc(frame.length * Math.max(1, Math.ceil(65536 / frame.length))).fill(frame)
}
/** 'hello flood': 11 bytes inflated, as in the issue. */
const SMALL = 'hello flood'
/** 16 KiB of hex text (compresses to about half): echoes that keep the compressor busy. */
const LARGE = randomBytes(8192).toString('hex')

/** One plain (uncompressed) text frame, masked with a zero key, repeated to at least 64 KiB. */
function plainBlock(text) {
  const payload = Buffer.from(text)
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]), Buffer.alloc(4), payload])
  return Buffer.alloc(frame.length * Math.max(1, Math.ceil(65536 / frame.length))).fill(frame)
}

/**
 * A raw flooder of `text` messages (compressed, or `plain`); `read` false: never reads (its socket is paused).
 * Resolves once upgraded; `state.echoed` counts the bytes it read.
 */
function flooder(port, read, text, plain = false) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    const block = plain ? plainBlock(text) : floodBlock(text)
    const state = { socket: s, bytes: 0, echoed: 0, closed: false, cut: false, stop: () => s.destroy() }
    s.on('error', () => {})
    s.on('close', () => (state.closed = true))
    s.write(HANDSHAKE)
    s.once('data', (head) => {
      if (!/^HTTP\/1\.1 101/.test(head.toString('latin1')) || !/permessage-deflate/i.test(head.toString('latin1'))) {
        reject(new Error(`no permessage-deflate upgrade: ${head.toString('latin1').split('\r\n')[0]}`))
        return
      }
      if (read) s.on('data', (d) => (state.echoed += d.length))
      else s.pause()
      const pump = () => {
        while (!s.destroyed && s.write(block)) state.bytes += block.length
        if (!s.destroyed) state.bytes += block.length
      }
      s.on('drain', pump)
      pump()
      resolve(state)
    })
  })
}

/** An honest ws client doing sequential round trips (compressed both ways) until `end`. */
async function honest(port, end) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const rtts = []
  let mismatches = 0
  while (Date.now() < end && ws.readyState === WebSocket.OPEN) {
    const text = `honest ${rtts.length} ${'x'.repeat(64)}`
    const t0 = performance.now()
    const got = await new Promise((resolve) => {
      ws.once('message', (d) => resolve(d.toString()))
      ws.send(text)
    })
    rtts.push(performance.now() - t0)
    if (got !== text) mismatches++
  }
  ws.close()
  rtts.sort((a, b) => a - b)
  const q = (p) => +(rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * p))] ?? 0).toFixed(2)
  return { roundTrips: rtts.length, mismatches, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) }
}

/** The flood with an honest connection beside it, `secs` long, against `impl` ('ferrosocket' or 'ws'). */
async function floodRun({ rpc, check }, impl, secs, serverConfig) {
  const { port } = await rpc('start', { impl, config: { ...serverConfig, perMessageDeflate: true } })
  const base = await rpc('stats')
  const loadBefore = os.loadavg()[0]
  const f = await flooder(port, true, SMALL)
  const end = Date.now() + secs * 1000
  const honestRun = honest(port, end)
  const samples = []
  const t0 = Date.now()
  while (Date.now() < end) {
    await sleep(1000)
    const s = await rpc('stats', { gc: false })
    samples.push({ t: (Date.now() - t0) / 1000, rss: s.rss, messages: s.messages })
  }
  const h = await honestRun
  const last = await rpc('stats', { gc: false })
  f.stop()
  const steady = samples.filter((s) => s.t >= 2)
  const rss = steady.map((s) => s.rss)
  const center = rss[0] ?? 0
  const first = steady[0] ?? { t: 0, messages: 0 }
  const lastS = steady[steady.length - 1] ?? first
  const r = {
    scenario: `L8 deflate flood (${impl})`,
    secs,
    floodedMB: +(f.bytes / MB).toFixed(1),
    serverMsgPerSec: Math.round((lastS.messages - first.messages) / Math.max(1, lastS.t - first.t)),
    rssMB: {
      base: Math.round(base.rss / MB),
      start: Math.round(center / MB),
      end: Math.round((rss[rss.length - 1] ?? 0) / MB),
      min: Math.round(Math.min(...rss) / MB),
      max: Math.round(Math.max(...rss) / MB),
    },
    rssDriftMB: Math.round(Math.max(...rss.map((x) => Math.abs(x - center))) / MB),
    honest: h,
    closes: last.closes,
    load1: [+loadBefore.toFixed(2), +os.loadavg()[0].toFixed(2)],
  }
  if (impl === 'ferrosocket') {
    check(r.scenario, r.rssDriftMB <= 50, `RSS not flat: ${JSON.stringify(r.rssMB)} (drift ${r.rssDriftMB} MB)`)
    check(r.scenario, h.p99Ms < 10, `honest p99 ${h.p99Ms} ms`)
    check(r.scenario, h.mismatches === 0 && h.roundTrips > 0, `honest echo: ${JSON.stringify(h)}`)
  }
  await rpc('stop')
  return r
}

/** A peer that floods and never reads, every echo compressed: the backlog behind compression must count. */
async function neverReads({ rpc, check }, secs, serverConfig) {
  const cap = 8 * MB
  // No context takeover on our side: every echo of the same text is compressed alone (~8 KiB), not to a few bytes.
  const perMessageDeflate = { threshold: 0, serverNoContextTakeover: true }
  const config = { ...serverConfig, perMessageDeflate, maxOutputBufferSize: cap }
  const { port } = await rpc('start', { config })
  const base = await rpc('stats')
  const f = await flooder(port, false, LARGE)
  const end = Date.now() + secs * 1000
  let peak = base.rss
  while (Date.now() < end && !f.closed) {
    await sleep(250)
    peak = Math.max(peak, (await rpc('stats', { gc: false })).rss)
  }
  const s = await rpc('stats', { gc: false })
  f.stop()
  const r = {
    scenario: 'L8 deflate flood, peer never reads',
    cutOff: f.closed,
    messages: s.messages,
    floodedMB: +(f.bytes / MB).toFixed(1),
    closes: s.closes,
    rssGrowthMB: Math.round((peak - base.rss) / MB),
  }
  check(r.scenario, (s.closes['1008'] ?? 0) === 1, `not cut off by maxOutputBufferSize: ${JSON.stringify(s.closes)}`)
  check(r.scenario, r.rssGrowthMB < 256, `server RSS grew ${r.rssGrowthMB} MB`)
  await rpc('stop')
  return r
}

/** Plain 2 KB texts flooded at the compressing echo (issue 13 audit: 1.3 GB in 5 s before the send hold). */
async function plainFlood({ rpc, check }, impl, secs, serverConfig) {
  const { port } = await rpc('start', { impl, config: { ...serverConfig, perMessageDeflate: true } })
  const base = await rpc('stats')
  const f = await flooder(port, true, randomBytes(1000).toString('hex'), true)
  const samples = []
  const t0 = Date.now()
  while (Date.now() - t0 < secs * 1000 && !f.closed) {
    await sleep(1000)
    const s = await rpc('stats', { gc: false })
    samples.push({ t: (Date.now() - t0) / 1000, rss: s.rss, messages: s.messages })
  }
  f.stop()
  const steady = samples.filter((s) => s.t >= 2)
  const rss = steady.map((s) => s.rss)
  const first = steady[0] ?? { t: 0, messages: 0, rss: 0 }
  const lastS = steady[steady.length - 1] ?? first
  const r = {
    scenario: `L8 plain flood at a compressing echo (${impl})`,
    secs,
    floodedMB: +(f.bytes / MB).toFixed(1),
    echoedMB: +(f.echoed / MB).toFixed(1),
    serverMsgPerSec: Math.round((lastS.messages - first.messages) / Math.max(1, lastS.t - first.t)),
    rssMB: { base: Math.round(base.rss / MB), start: Math.round(first.rss / MB), end: Math.round(lastS.rss / MB), max: Math.round(Math.max(...rss) / MB) },
    rssDriftMB: Math.round(Math.max(...rss.map((x) => Math.abs(x - first.rss))) / MB),
  }
  if (impl === 'ferrosocket') {
    check(r.scenario, r.rssDriftMB <= 50, `RSS not flat: ${JSON.stringify(r.rssMB)} (drift ${r.rssDriftMB} MB)`)
    check(r.scenario, f.echoed > 0, 'no echo came back')
  }
  await rpc('stop')
  return r
}

/** The L8 scenarios; `short`: ferrosocket only, 8 s. */
export async function deflateFloods(ctx, { short, serverConfig }) {
  const secs = short ? 8 : 30
  const out = [await floodRun(ctx, 'ferrosocket', secs, serverConfig)]
  if (!short) out.push(await floodRun(ctx, 'ws', secs, serverConfig))
  out.push(await neverReads(ctx, short ? 5 : 15, serverConfig))
  out.push(await plainFlood(ctx, 'ferrosocket', short ? 5 : 15, serverConfig))
  if (!short) out.push(await plainFlood(ctx, 'ws', 10, serverConfig))
  return out
}
