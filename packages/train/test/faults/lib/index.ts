/**
 * Fault injection for reliability tests: a failing/crashing DurableIO, file damage, a child-process harness for
 * the real CLI, and the fault ledger. Not exported from @vtx/train's entry (test tooling only).
 */
export * from './fault-io.js';
export * from './corrupt.js';
export * from './child.js';
export * from './ledger.js';
