import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as litConfigs } from 'eslint-plugin-lit';
import prettier from 'eslint-config-prettier';
import i18n from './eslint-rules/i18n.js';

// Layering (docs/architecture.md): each folder lists what it must not import. A flat-config block replaces
// the whole rule for its files, so every folder gets exactly one block with all of its bans.
// @lit/localize is plain JavaScript (no DOM): every layer may call msg() for the words a person reads.
const DOM_LIBS = ['lit', 'lit/*', '@lit/*', '!@lit/localize', 'd3', 'd3-*'];
const ban = (folders, message, extra = []) => ({
  patterns: [{ group: [...folders.flatMap((f) => [`**/${f}`, `**/${f}/**`]), ...extra], message }],
});
const layer = (files, folders, message, extra = []) => ({
  files,
  rules: { 'no-restricted-imports': ['error', ban(folders, message, extra)] },
});
// Code that also runs in Node on Dawn: no DOM globals.
const DOM_GLOBALS = [
  'document',
  'window',
  'navigator',
  'localStorage',
  'sessionStorage',
  'HTMLElement',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'getComputedStyle',
  'location',
  'history',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench/results/**',
      'bench/device/pack/**',
      'test-results/**',
      'playwright-report/**',
      'src/generated/**',
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
    },
  },
  // util: pure helpers, import nothing of the app.
  layer(
    ['src/util/**'],
    ['gpu', 'kernels', 'models', 'engine', 'state', 'ui', 'charts'],
    'src/util is pure TypeScript used by every layer: it imports nothing of the app.',
    DOM_LIBS,
  ),
  // gpu: adapter, device, errors, readback. Below the kernels.
  layer(
    ['src/gpu/**'],
    ['kernels', 'models', 'engine', 'state', 'ui', 'charts'],
    'src/gpu is the bottom layer: it never imports kernels, models, engines, state, UI or charts.',
    DOM_LIBS,
  ),
  // kernels: WGSL wrappers, spec.ts and float64 ref.ts. Models build on kernels, never the reverse.
  layer(
    ['src/kernels/**'],
    ['models', 'engine', 'state', 'ui', 'charts'],
    'src/kernels never imports models, engines, state, UI or charts (models import kernels, not the reverse).',
    DOM_LIBS,
  ),
  // models: pure TypeScript data and model definitions on top of the kernels' spec/ref.
  layer(
    ['src/models/**'],
    ['gpu', 'engine', 'state', 'ui', 'charts'],
    'src/models is pure TypeScript: no GPU runtime, engines, state, UI or charts.',
    DOM_LIBS,
  ),
  // engine: orchestrates kernels for a lab; runs in Node too.
  layer(
    ['src/engine/**'],
    ['state', 'ui', 'charts'],
    'Engines take plain parameters and run in Node too: no state, UI, charts or DOM libraries.',
    DOM_LIBS,
  ),
  // state: immutable app state and URL; limits come from spec modules, never from engines.
  layer(
    ['src/state/**'],
    ['gpu', 'engine', 'ui', 'charts'],
    'src/state never imports engines, the GPU runtime, UI or charts: take limits from a spec.ts module.',
    DOM_LIBS,
  ),
  // charts: pure render functions of data.
  layer(
    ['src/charts/**'],
    ['gpu', 'kernels', 'models', 'engine', 'state', 'ui'],
    'Charts are functions of data: no state, engines, kernels, models, GPU runtime or UI.',
  ),
  {
    files: ['src/util/**', 'src/gpu/**', 'src/kernels/**', 'src/models/**', 'src/engine/**'],
    rules: {
      'no-restricted-globals': ['error', ...DOM_GLOBALS],
      'no-restricted-properties': [
        'error',
        ...DOM_GLOBALS.map((property) => ({
          object: 'globalThis',
          property,
          message: 'Compute code runs in Node too: take DOM objects as parameters from the UI.',
        })),
      ],
    },
  },
  // Languages (README, "Languages"): words a person reads go through msg(), and msg() runs where it is used.
  {
    files: ['src/**/*.ts'],
    plugins: { 'ks-i18n': i18n },
    rules: { 'ks-i18n/no-raw-text': 'error', 'ks-i18n/no-module-msg': 'error' },
  },
  // Every element re-renders on a language switch through KsElement (src/ui/common/localized.ts).
  {
    files: ['src/ui/**/*.ts'],
    ignores: ['src/ui/common/localized.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ClassDeclaration[superClass.name="LitElement"]',
          message: 'Extend KsElement (src/ui/common/localized.ts) so the element follows a language switch.',
        },
      ],
    },
  },
);
