// TypeScript drop-in (issue 17 item 7): one application written for `websocket` + `@types/websocket` 1.0.10 under
// `strict` (__test__/types/drop-in/consumer.ts, importing 'websocket'), compiled twice with the same flags: as is,
// against @types/websocket — proof that it is valid code for those types — and with 'websocket' mapped to
// ferrosocket's sources. Both must compile. The declarations where ours knowingly differ are listed in
// docs/differences.md ("TypeScript declarations").
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const consumer = path.join(root, '__test__', 'types', 'drop-in', 'consumer.ts')

function compile(t: { teardown(fn: () => void): void }, paths: Record<string, string[]> | null) {
  // Inside node_modules so that @types/node and @types/websocket resolve as in a user's project.
  const dir = mkdtempSync(path.join(root, 'node_modules', '.ferrosocket-dropin-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const compilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    ...(paths ? { paths } : {}),
  }
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [consumer] }))
  const r = spawnSync(process.execPath, [tsc, '-p', dir, '--listFiles'], { cwd: root, encoding: 'utf8', timeout: 90_000 })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

test('the @types/websocket consumer compiles against @types/websocket 1.0.10 (it is valid code for those types)', (t) => {
  const r = compile(t, null)
  t.is(r.status, 0, r.output)
  t.regex(r.output, /node_modules\/@types\/websocket\/index\.d\.ts/)
  t.notRegex(r.output, /\/ts\/index\.ts/)
})

test('the same consumer compiles unchanged with `websocket` resolved to ferrosocket', (t) => {
  const r = compile(t, { websocket: [path.join(root, 'ts', 'index.ts')] })
  t.is(r.status, 0, r.output)
  t.regex(r.output, /\/ts\/index\.ts/)
  t.notRegex(r.output, /@types\/websocket/)
})
