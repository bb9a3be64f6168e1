/** The measured window shared by the e2e load generators (`benches/e2e/loadgen*.ts`). */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
/** Microseconds, monotonic. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e3

/**
 * Warm up for `warmupMs`, then measure for `durationMs`: `measuring(true)`/`measuring(false)` bracket the window,
 * and with `marks` the parent (run.ts) gets `{ mark: 'start' | 'end' }` to read the server's stats at the same
 * instants. Returns the window's length and this process's CPU use in it (share of one core).
 */
export async function measureWindow(
  warmupMs: number,
  durationMs: number,
  measuring: (on: boolean) => void,
  marks = true,
): Promise<{ secs: number; clientCpu: number }> {
  await sleep(warmupMs)
  if (marks) process.send!({ mark: 'start' })
  measuring(true)
  const t0 = now()
  const cpu0 = process.cpuUsage()
  await sleep(durationMs)
  measuring(false)
  if (marks) process.send!({ mark: 'end' })
  const secs = (now() - t0) / 1e6
  const cpu = process.cpuUsage(cpu0)
  return { secs, clientCpu: (cpu.user + cpu.system) / 1e6 / secs }
}

/** p50 and p99 of the first `n` latencies (sorts them in place); NaN when there are none. */
export function percentiles(lat: Float64Array, n: number): { p50us: number; p99us: number } {
  const l = lat.subarray(0, n).sort()
  const pct = (p: number) => (n === 0 ? NaN : l[Math.min(n - 1, Math.floor(p * n))]!)
  return { p50us: pct(0.5), p99us: pct(0.99) }
}
