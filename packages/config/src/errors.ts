/**
 * Errors for users, not stack traces. A config error names every problem as `file:line: key.path: message`, all at
 * once; a usage error is one message about what the user asked for (a flag, a run directory). The CLI exits 2 for
 * both (1 for any other failure).
 */
export interface ConfigIssue {
  /** The YAML file the offending key came from, `--set` for a command-line override, or `<config>`. */
  file: string;
  /** 1-based line in `file`, when known. */
  line?: number;
  /** Dotted key path, e.g. `optim.lr` ('' for the whole document). */
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}`;
  return i.path ? `${where}: ${i.path}: ${i.message}` : `${where}: ${i.message}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    super(lines.length === 1 ? lines[0] : `${lines.length} problems in the config:\n  ${lines.join('\n  ')}`);
    this.issues = issues;
  }
}

/** What the user asked for cannot be done as asked (a flag's value, an existing run directory): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
