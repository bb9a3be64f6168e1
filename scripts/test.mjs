// `npm test`: the Rust core's tests, then the ava suite once per backend (native, then the TS twin).
// With FERROSOCKET_BACKEND=native the loader fails loudly if the addon cannot load, so a green run proves
// the native path was exercised.
import { spawnSync } from 'node:child_process'
import { ensurePython } from './python-env.mjs'

const step = (title, cmd, args, env = {}) => {
  console.log(`\n=== ${title} ===`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  if (r.status !== 0) {
    console.error(`\n[ferrosocket] step failed: ${title} (exit ${r.status ?? r.signal})`)
    process.exit(r.status ?? 1)
  }
}

// A fresh clone's `git status` must stay clean through `npm install && npm test` (issue 17 item 10): when the tree
// is clean at the start, anything the run writes outside .gitignore fails it at the end, with the paths.
const gitStatus = () => {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout : null
}
const cleanAtStart = gitStatus() === ''

const only = process.argv.slice(2)
ensurePython()
step('typecheck (tsc --noEmit)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])
step('cargo test', 'cargo', ['test', '--workspace', '--quiet'])
step('fuzz corpus replay (cargo test in fuzz/, no libFuzzer)', 'bash', ['scripts/fuzz.sh', '--replay'])
step('chromium (interop peer; installs once)', 'sh', ['scripts/install-chromium.sh'])
step('redis-server (cluster tests start their own; installs once)', 'sh', ['scripts/install-redis.sh'])
for (const backend of ['native', 'ts']) {
  step(`ava, FERROSOCKET_BACKEND=${backend}`, 'npx', ['ava', ...only], { FERROSOCKET_BACKEND: backend })
}
if (only.length === 0) step('install tests (packed tarballs, offline)', 'npx', ['ava', '--config', 'ava.install.config.mjs'])
if (cleanAtStart) {
  console.log('\n=== git status (the run must leave a clean tree clean) ===')
  const after = gitStatus()
  if (after !== '') {
    console.error(`\n[ferrosocket] npm test left files in the tree (write them under a temporary directory or .gitignore them):\n${after}`)
    process.exit(1)
  }
}
