// After `tsc`: a CommonJS-flavoured copy of the declarations in dist/cjs/, which package.json's `types.require`
// condition points at. A CommonJS TypeScript project (`module: node16`) that writes `import { server } from
// 'ferrosocket'` otherwise fails with TS1479 ("the referenced file is an ECMAScript module"), although at run time
// Node ≥ 20.19 loads the package with require() (require(esm)) and hands back exactly these named exports.
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const dist = 'dist'
const out = path.join(dist, 'cjs')
rmSync(out, { recursive: true, force: true })
function copy(dir) {
  for (const name of readdirSync(dir)) {
    const from = path.join(dir, name)
    if (from === out) continue
    if (statSync(from).isDirectory()) copy(from)
    else if (name.endsWith('.d.ts')) {
      const to = path.join(out, path.relative(dist, from))
      mkdirSync(path.dirname(to), { recursive: true })
      cpSync(from, to)
    }
  }
}
copy(dist)
writeFileSync(path.join(out, 'package.json'), '{ "type": "commonjs" }\n')
