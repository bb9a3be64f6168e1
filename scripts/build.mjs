// `npm install` / `npm run build`: build the native addon (when a Rust toolchain exists) and compile ts/ to dist/.
// Without cargo (or without the C++ compiler the addon's simdutf part needs) the build says so and the pure-TypeScript
// twin is used at run time.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' })
const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
const skipNative = process.env.FERROSOCKET_SKIP_NATIVE_BUILD === '1'
// The `cc` crate looks for $CXX, then c++/g++/clang++ (MSVC on Windows, found by cc itself).
const cxxCandidates = [process.env.CXX, 'c++', 'g++', 'clang++'].filter((c) => c !== undefined && c !== '')
const hasCxx =
  process.platform === 'win32' || cxxCandidates.some((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0)

if (!existsSync('crates/ferrosocket-node/Cargo.toml')) {
  console.log('[ferrosocket] no crates/ folder (installed from a package?): nothing to build')
  process.exit(0)
}
if (skipNative) {
  console.log('[ferrosocket] FERROSOCKET_SKIP_NATIVE_BUILD=1: native addon not built; the TypeScript twin will be used')
} else if (!hasCargo) {
  console.log('[ferrosocket] no Rust toolchain (cargo) found: native addon not built; the TypeScript twin will be used')
} else if (!hasCxx) {
  console.log(
    '[ferrosocket] cargo found but no C++ compiler (the addon compiles simdutf; on Debian: apt-get install build-essential): ' +
      'native addon not built; the TypeScript twin will be used',
  )
} else {
  const r = run('npm', ['run', '--silent', 'build:native'])
  if (r.status !== 0) process.exit(r.status ?? 1)
}
const t = run('npm', ['run', '--silent', 'build:ts'])
process.exit(t.status ?? 1)
