/**
 * The layering rules in eslint.config.js catch a planted violation in each layer (and accept the same
 * file without it). Run with the project's real ESLint config, on text that is never written to disk.
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId?.startsWith('no-restricted-'))
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const planted: [layer: string, file: string, code: string][] = [
  [
    'state imports an engine',
    'src/state/planted.ts',
    "import { MIN_COUNT } from '../engine/random';\nvoid MIN_COUNT;\n",
  ],
  [
    'kernels import models',
    'src/kernels/random/planted.ts',
    "import { DATASETS_2D } from '../../models/datasets2d';\nvoid DATASETS_2D;\n",
  ],
  [
    'gpu imports kernels',
    'src/gpu/planted.ts',
    "import { TRANSFORMS } from '../kernels/random/spec';\nvoid TRANSFORMS;\n",
  ],
  [
    'charts import state',
    'src/charts/planted.ts',
    "import type { Store } from '../state/store';\nexport type S = Store;\n",
  ],
  ['engine imports lit', 'src/engine/planted.ts', "import { html } from 'lit';\nvoid html;\n"],
  [
    'engine imports the UI',
    'src/engine/planted.ts',
    "import { storeContext } from '../ui/common/controllers';\nvoid storeContext;\n",
  ],
  [
    'models use the GPU runtime',
    'src/models/planted.ts',
    "import { requestGpu } from '../gpu/device';\nvoid requestGpu;\n",
  ],
  ['engine reads document', 'src/engine/planted.ts', 'export const w = document.body.clientWidth;\n'],
  ['kernels read navigator', 'src/kernels/planted.ts', 'export const g = navigator.gpu;\n'],
  ['gpu reads globalThis.navigator', 'src/gpu/planted.ts', 'export const g = globalThis.navigator;\n'],
  ['models call requestAnimationFrame', 'src/models/planted.ts', 'requestAnimationFrame(() => undefined);\n'],
  [
    'util imports state',
    'src/util/planted.ts',
    "import type { Store } from '../state/store';\nexport type S = Store;\n",
  ],
];

describe('ESLint layering rules', () => {
  it.each(planted)('%s: reported', async (_name, file, code) => {
    const messages = await restricted(file, code);
    expect(messages.length).toBeGreaterThan(0);
  });

  it('allowed imports pass: ui → engine, engine → kernels, models → kernels, state → spec', async () => {
    expect(
      await restricted(
        'src/ui/planted.ts',
        "import { MIN_COUNT } from '../engine/random';\nvoid MIN_COUNT;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'src/engine/planted.ts',
        "import { philox4x32 } from '../kernels/random/philox.ref';\nvoid philox4x32;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'src/models/planted.ts',
        "import { philox4x32 } from '../kernels/random/philox.ref';\nvoid philox4x32;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'src/state/planted.ts',
        "import { TRANSFORMS } from '../kernels/random/spec';\nvoid TRANSFORMS;\n",
      ),
    ).toEqual([]);
    expect(await restricted('src/ui/planted.ts', 'export const w = document.body.clientWidth;\n')).toEqual(
      [],
    );
  });
});
