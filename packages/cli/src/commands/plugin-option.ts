/** `--plugin FILE` (repeatable): modules that register model kinds, imported before a config is validated. */
import type { Options } from 'yargs';

export const pluginOption = {
  type: 'string',
  array: true,
  nargs: 1,
  default: [] as string[],
  describe:
    'a module that adds model kinds (registerModel from @vtx/models), imported before the config is read; repeatable',
} as const satisfies Options;
