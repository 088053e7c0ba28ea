/**
 * The fault ledger: every fault a reliability test injects is recorded with what was checked afterwards, so
 * `pnpm test:faults` can end with the list of faults tried and "nothing lost". Entries go to the JSON-lines file
 * named by VTX_FAULT_LEDGER (set by vitest.faults.config.ts); without it recording is a no-op.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface FaultEntry {
  /** The guarantee under test, e.g. 'kill', 'disk-full', 'corrupt-input'. */
  area: string;
  /** What was done, e.g. 'SIGKILL 412 ms after step 3 (during checkpoint write)'. */
  fault: string;
  /** What was checked afterwards, e.g. 'resumed from step-000004; losses identical'. */
  outcome: string;
  /** true when every check passed (tests record only after their assertions, so normally true). */
  ok: boolean;
}

/** Append an entry to the ledger (no-op when VTX_FAULT_LEDGER is unset). */
export function recordFault(entry: Omit<FaultEntry, 'ok'> & { ok?: boolean }): void {
  const file = process.env['VTX_FAULT_LEDGER'];
  if (!file) return;
  appendFileSync(file, JSON.stringify({ ok: true, ...entry }) + '\n');
}

/** Every entry of a ledger file. */
export function readLedger(file: string): FaultEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as FaultEntry);
}

/** The ledger as a table for a terminal: one line per fault, grouped by area, then a verdict. */
export function formatLedger(entries: readonly FaultEntry[]): string {
  const lines: string[] = [];
  const areas = [...new Set(entries.map((e) => e.area))];
  for (const area of areas) {
    const mine = entries.filter((e) => e.area === area);
    lines.push(`${area} (${mine.length})`);
    for (const e of mine) lines.push(`  ${e.ok ? 'ok  ' : 'LOST'} ${e.fault}\n         -> ${e.outcome}`);
  }
  const lost = entries.filter((e) => !e.ok).length;
  lines.push(
    lost === 0
      ? `${entries.length} faults tried, nothing lost`
      : `${entries.length} faults tried, ${lost} LOST something`,
  );
  return lines.join('\n');
}
