/** `--key=value` and bare `--flag` (value `'true'`) command-line arguments of the benchmark runners. */
export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  return new Map(
    argv.map((a) => {
      const [k, v] = a.replace(/^--/, '').split('=')
      return [k!, v ?? 'true'] as const
    }),
  )
}
