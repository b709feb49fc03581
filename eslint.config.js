// Lint rules for the whole repository: typescript-eslint's recommended set, plus the import
// boundaries between rooms (renderer → api types; main → worker protocol; worker → itself).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'src-renderer/**/*.svelte',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*'], message: 'The engine never imports Electron.' },
            {
              group: ['**/src-main/**', '**/src-renderer/**', 'better-sqlite3'],
              message: 'src-worker depends on nothing outside itself.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
