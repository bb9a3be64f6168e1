// Node's zlib on the benchmark's 64 KiB JSON message (the same one `src/main.rs` reads): deflate level 6, window 15,
// sync flush, a fresh stream per message; then inflate. Writes the message to msg.bin for the Rust side.
//   node --import @oxc-node/core/register benches/zlib-engines/node.ts && \
//   (cd benches/zlib-engines && cargo run --release -q -- msg.bin)
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { jsonMessages } from '../lib/textgen.js'

const data = jsonMessages(9, 65536, 1)[0]!
writeFileSync(join(import.meta.dirname, 'msg.bin'), data)
const n = 2000
const us = (t: bigint) => (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(1)
let t = process.hrtime.bigint()
let comp = Buffer.alloc(0)
for (let i = 0; i < n; i++) comp = zlib.deflateRawSync(data, { level: 6, windowBits: 15, flush: zlib.constants.Z_SYNC_FLUSH })
console.log(`node zlib ${process.versions.zlib} deflate (fresh): ${us(t)} us/msg, ratio ${(comp.length / data.length).toFixed(3)}`)
t = process.hrtime.bigint()
for (let i = 0; i < n; i++) zlib.inflateRawSync(comp, { windowBits: 15, finishFlush: zlib.constants.Z_SYNC_FLUSH })
console.log(`node zlib inflate (fresh): ${us(t)} us/msg`)
