/**
 * Flat summary of a V8 `.cpuprofile` (from `npm run bench:e2e -- --profile=<impl>`): self time per function and
 * per file group. `node --import @oxc-node/core/register benches/e2e/profile-summary.ts <file.cpuprofile> [top]`
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
const file = process.argv[2]!
const top = Number(process.argv[3] ?? 30)
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
const group = new Map<string, number>()
let total = 0
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]!)!
  const dt = prof.timeDeltas[i] ?? 0
  total += dt
  const { functionName, url, lineNumber } = n.callFrame
  const short = url.replace(/^.*\/(node_modules\/[^/]+|ts|benches)\//, '$1/')
  const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + dt)
  const g =
    functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)'
      ? functionName
      : url === ''
        ? '(native: ' + (functionName || '?') + ')'
        : url.startsWith('node:')
          ? url.split('/')[0]!.replace(/^node:internal.*/, 'node:internal')
          : url.includes('node_modules/')
            ? url.replace(/^.*node_modules\/([^/]+).*$/, 'node_modules/$1')
            : url.replace(/^.*\/(ts|benches)\/.*$/, '$1/')
  group.set(g, (group.get(g) ?? 0) + dt)
}
const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`)
console.log('\n-- by group --')
for (const [k, v] of [...group].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(pct(v), k)
console.log('\n-- self time, top functions --')
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k)
