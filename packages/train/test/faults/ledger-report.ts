/**
 * vitest globalSetup of `pnpm test:faults`: starts an empty fault ledger and, after every test file ran, prints
 * each fault tried and what was checked, ending with "N faults tried, nothing lost".
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLedger, readLedger } from './lib/ledger.js';

/** The ledger file of this vitest run (the config passes it to the test workers as VTX_FAULT_LEDGER). */
export const ledgerPath = (): string => join(tmpdir(), `vtx-fault-ledger-${process.pid}.jsonl`);

export default function setup(): () => void {
  const file = ledgerPath();
  rmSync(file, { force: true });
  return () => {
    const entries = readLedger(file);
    process.stdout.write(`\n=== fault ledger ===\n${formatLedger(entries)}\n`);
    rmSync(file, { force: true });
  };
}
