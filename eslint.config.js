import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as litConfigs } from 'eslint-plugin-lit';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench/results/**',
      'bench/device/pack/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  litConfigs['flat/recommended'],
  prettier,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', performance: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Kernels, engine, models and GPU runtime run in Node too: no UI, charts or DOM imports.
    files: ['src/kernels/**', 'src/engine/**', 'src/models/**', 'src/gpu/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/ui/**', '**/charts/**', 'lit', 'lit/*', 'd3', 'd3-*'],
              message: 'Compute code must not depend on the DOM.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'document', 'window', 'localStorage', 'HTMLElement'],
    },
  },
);
