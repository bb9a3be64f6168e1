// Types for conformance/report.mjs (plain JS so scripts/conformance.mjs runs without a TS loader).

/** One case in Autobahn's index.json. */
export interface IndexEntry {
  behavior: string
  behaviorClose: string
  duration: number
  remoteCloseCode: number | null
  reportfile: string
}
export type Counts = Record<'OK' | 'NON-STRICT' | 'INFORMATIONAL' | 'UNIMPLEMENTED' | 'FAILED', number>
export interface Judged {
  id: string
  outcome: string
  want: string
  entry: IndexEntry | undefined
}
export interface Verdict {
  groups: Map<string, Counts>
  worse: Judged[]
  better: Judged[]
  duration: number
}

export const COLUMNS: readonly string[]
export function rank(outcome: string): number
export function compareIds(a: string, b: string): number
export function matchesAny(id: string, patterns: readonly string[]): boolean
export function loadExpected(file: string): Record<string, string>
export function loadIndex(dir: string, agent: string): Record<string, IndexEntry>
export function outcomeOf(entry: IndexEntry | undefined): string
export function columnOf(outcome: string): string
export function judge(
  results: Record<string, IndexEntry>,
  expected: Record<string, string>,
  ids: readonly string[],
): Verdict
export function diagnose(dir: string, entry: IndexEntry | undefined): string[]
