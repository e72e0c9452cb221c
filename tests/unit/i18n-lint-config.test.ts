/**
 * The languages' lint rules are wired into eslint.config.js for every folder (issue #16): planted
 * reader-facing English outside msg(), msg() at module level, and an element extending LitElement directly
 * fail `npm run lint`; the same code through msg() passes. Text is linted in memory, never written to disk.
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function i18nProblems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId?.startsWith('ks-i18n/') || m.ruleId === 'no-restricted-syntax')
    .map((m) => `${m.ruleId}`);
}

const FOLDERS = ['src/ui/random', 'src/ui/attention', 'src/charts', 'src/state', 'src/engine', 'src/models'];

describe('i18n lint rules in the project config', () => {
  for (const folder of FOLDERS) {
    it(`${folder}: a label in English outside msg() fails, through msg() passes`, async () => {
      const raw = "export const f = () => ({ label: 'Number of heads' });\n";
      expect(await i18nProblems(`${folder}/planted.ts`, raw)).toEqual(['ks-i18n/no-raw-text']);
      const ok =
        "import { msg } from '@lit/localize';\nexport const f = () => ({ label: msg('Number of heads') });\n";
      expect(await i18nProblems(`${folder}/planted.ts`, ok)).toEqual([]);
    });
  }

  it('text and reader-facing attributes of html templates', async () => {
    const code =
      "import { html } from 'lit';\nexport const a = () => html`<p>Run the lab</p>`;\n" +
      'export const b = () => html`<button title="Run it">▶</button>`;\n' +
      'export const c = () => html`<p><code>softmax(x)</code> · ${1}</p>`;\n';
    expect(await i18nProblems('src/ui/random/planted.ts', code)).toEqual([
      'ks-i18n/no-raw-text',
      'ks-i18n/no-raw-text',
    ]);
  });

  it('msg() at module level, and an element that does not extend KsElement', async () => {
    const code =
      "import { msg } from '@lit/localize';\nimport { LitElement } from 'lit';\n" +
      "export const TITLE = msg('Moments');\nexport class X extends LitElement {}\n";
    expect(await i18nProblems('src/ui/random/planted.ts', code)).toEqual([
      'ks-i18n/no-module-msg',
      'no-restricted-syntax',
    ]);
  });

  it('WebGPU debug labels are not text', async () => {
    const code =
      "export const d = (n: string) => ({ label: 'attention.fused', other: { label: `gpt2.${n}` } });\n";
    expect(await i18nProblems('src/engine/planted.ts', code)).toEqual([]);
  });
});
