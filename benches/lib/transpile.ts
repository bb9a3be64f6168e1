import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

/**
 * Writes `dir/server.gen.mjs`, `dir/server.ts` transpiled once, and returns its path: the server under test runs as
 * plain JavaScript under plain `node`, as users run ferrosocket (under the TS loader every module's source and an
 * inline source map stay on the heap, which moved V8's full-GC schedule and p99).
 */
export function transpileServer(dir: string): string {
  const out = join(dir, 'server.gen.mjs')
  writeFileSync(
    out,
    `// Generated from server.ts by run.ts; do not edit.\n` +
      ts.transpileModule(readFileSync(join(dir, 'server.ts'), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText,
  )
  return out
}
