/** Generic YAML config loading: extends, --set overrides, zod validation with file/line/key errors, path keys. */
export * from './errors.js';
export * from './merge.js';
export * from './overrides.js';
export * from './schema-keys.js';
export * from './load.js';
export * from './paths.js';
