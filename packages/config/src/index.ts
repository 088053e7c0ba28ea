/**
 * @vtx/config — YAML configs for any zod schema: `extends` chains, `--set key=value` overrides, validation whose
 * errors name `file:line: key.path` with a did-you-mean (all problems at once), the resolved-config writer, and
 * the one rule for path-valued keys (./paths.ts: a relative path in a YAML file means that file's folder).
 * No tfjs: the experiment schema is @vtx/train's, sweep and dataset schemas are their packages'; the CLI exits 2 on
 * a ConfigError or UsageError.
 */
export * from './errors.js';
export * from './merge.js';
export * from './overrides.js';
export * from './schema-keys.js';
export * from './load.js';
export * from './paths.js';
