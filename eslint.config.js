import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';

/** Which @vtx packages each package may import (./layers.json; packages/cli/test/layers.test.ts checks the same). */
const { layers: LAYERS, onlyIn: ONLY_IN } = JSON.parse(
  readFileSync(new URL('./layers.json', import.meta.url), 'utf8'),
);

const entryPointOnly = { group: ['@vtx/*/*'], message: 'Import from the package entry point.' };

/** Per package: no @vtx package above it (./layers.json), no npm package it must not use (yargs outside the CLI). */
const layerRules = Object.entries(LAYERS).map(([pkg, allowed]) => ({
  files: [`packages/${pkg}/src/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          entryPointOnly,
          ...Object.keys(LAYERS)
            .filter((other) => other !== pkg && !allowed.includes(other))
            .map((other) => ({
              group: [`@vtx/${other}`],
              message: `@vtx/${pkg} may depend on ${allowed.map((a) => `@vtx/${a}`).join(', ') || 'no @vtx package'} only (layers.json).`,
            })),
          ...Object.entries(ONLY_IN)
            .filter(([, pkgs]) => !pkgs.includes(pkg))
            .map(([name, pkgs]) => ({
              group: [name],
              message: `${name} is for @vtx/${pkgs.join(', @vtx/')} only.`,
            })),
          ...(pkg === 'core' || pkg === 'models'
            ? [
                {
                  group: ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads'],
                  message: 'core/models must stay browser-safe.',
                },
              ]
            : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/.tsc/**', '**/coverage/**', 'runs/**', '**/fixtures/**', '.vtx-cache/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowArray: true, allowBoolean: true },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [entryPointOnly] }],
    },
  },
  ...layerRules,
  { files: ['**/*.js', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },
);
