// `npm install` / `npm run build`: build the native addon (when a Rust toolchain exists) and compile ts/ to dist/.
// Without cargo the build says so and the pure-TypeScript twin is used at run time.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' })
const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
const skipNative = process.env.FERROSOCKET_SKIP_NATIVE_BUILD === '1'

if (!existsSync('crates/ferrosocket-node/Cargo.toml')) {
  console.log('[ferrosocket] no crates/ folder (installed from a package?): nothing to build')
  process.exit(0)
}
if (skipNative) {
  console.log('[ferrosocket] FERROSOCKET_SKIP_NATIVE_BUILD=1: native addon not built; the TypeScript twin will be used')
} else if (!hasCargo) {
  console.log('[ferrosocket] no Rust toolchain (cargo) found: native addon not built; the TypeScript twin will be used')
} else {
  const r = run('npm', ['run', '--silent', 'build:native'])
  if (r.status !== 0) process.exit(r.status ?? 1)
}
const t = run('npm', ['run', '--silent', 'build:ts'])
process.exit(t.status ?? 1)
