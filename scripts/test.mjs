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
