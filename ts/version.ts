/** The package version, read from package.json (`ts/` and `dist/` sit at the same depth, so `..` works from both). */
import { createRequire } from 'node:module'

const pkg = createRequire(import.meta.url)('../package.json') as { version: string }

export const version: string = pkg.version
export default version
