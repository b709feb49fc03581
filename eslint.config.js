// Lint rules for the whole repository: typescript-eslint's recommended set, plus the import
// boundaries between rooms (renderer → api types; main → worker protocol; worker → itself).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import svelteConfig from './src-renderer/svelte.config.js';

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'],
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
  ...svelte.configs.recommended,
  {
    files: ['src-renderer/**/*.svelte', 'src-renderer/**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig },
    },
  },
  {
    files: ['src-renderer/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // State lives in $state fields; the Sets and URLSearchParams here are local temporaries.
      'svelte/prefer-svelte-reactivity': 'off',
      // The renderer depends on the API contract's types and nothing else of ours.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^electron(/|$)', message: 'The renderer reaches Electron only through window.studio.' },
            { regex: '^node:', message: 'The renderer runs in a browser page: no Node modules.' },
            {
              regex: '(^|/)(src-main/(?!api(/|$))|src-worker/)',
              message: 'The renderer imports only from src-main/api (the contract).',
            },
            {
              regex: '(^|/)src-main/api(/|$)',
              allowTypeImports: true,
              message: 'The renderer imports only types from src-main/api; values stay on the main side.',
            },
          ],
        },
      ],
    },
  },
  {
    // Electron is imported only in src-main/electron (main, preload, IPC binding).
    files: ['**/*.{ts,js,mjs,svelte}'],
    ignores: ['src-main/electron/**', 'src-worker/**', 'src-renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^electron(/|$)', message: 'Only src-main/electron imports Electron.' }] },
      ],
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
