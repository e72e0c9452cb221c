/** Loading the shipped MLP weights the way the Diffusion lab does: errors are readable, nothing is cached on failure. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShippedMlp, loadShippedMlp, mlpFacts, mlpUrl } from '../../src/ui/diffusion/models';
import { DEFAULT_MLP_CONFIG, MLP_DATASETS, parseMlp, type MlpModel } from '../../src/models/mlp-denoiser';

const file = (name: string) => new Uint8Array(readFileSync(`public/models/diffusion/${name}.ksmlp`)).buffer;

describe('shipped MLP loading (src/ui/diffusion/models.ts)', () => {
  it('knows which datasets ship weights and addresses them under the base path', () => {
    for (const d of MLP_DATASETS) expect(hasShippedMlp(d)).toBe(true);
    expect(hasShippedMlp('gaussian')).toBe(false);
    expect(hasShippedMlp('draw')).toBe(false);
    expect(mlpUrl('spiral')).toBe(`${import.meta.env.BASE_URL}models/diffusion/spiral.ksmlp`);
  });

  it('a missing file, a failed fetch and a malformed file give clear messages; success is cached', async () => {
    let calls = 0;
    const respond = (make: () => Response | Promise<Response>) =>
      (async () => {
        calls++;
        return make();
      }) as unknown as typeof fetch;
    await expect(
      loadShippedMlp(
        'rings',
        respond(() => new Response('nope', { status: 404 })),
      ),
    ).rejects.toThrow(/rings\.ksmlp answered HTTP 404/);
    await expect(
      loadShippedMlp(
        'rings',
        respond(() => Promise.reject(new TypeError('Failed to fetch'))),
      ),
    ).rejects.toThrow(/could not be fetched \(Failed to fetch\)/);
    await expect(
      loadShippedMlp(
        'rings',
        respond(() => new Response(new Uint8Array(64))),
      ),
    ).rejects.toThrow(/not a valid weight file: Not a KSMLP1 weight file/);
    const truncated = file('rings').slice(0, 200);
    await expect(
      loadShippedMlp(
        'rings',
        respond(() => new Response(truncated)),
      ),
    ).rejects.toThrow(/not a valid weight file/);
    expect(calls).toBe(4); // failures are not cached
    const good = respond(() => new Response(file('rings')));
    const model = await loadShippedMlp('rings', good);
    expect(model.config).toEqual(DEFAULT_MLP_CONFIG);
    expect(await loadShippedMlp('rings', good)).toBe(model);
    expect(calls).toBe(5);
  });

  it('reads the description of every shipped model from its file header; a missing field is left out', () => {
    for (const d of MLP_DATASETS) {
      const model = parseMlp(file(d));
      const facts = mlpFacts(model);
      // What the lab's MLP note prints, straight from the header (scripts/train-diffusion-mlp.mjs wrote it).
      expect(facts).toMatchObject({
        blocks: model.config.blocks,
        hidden: model.config.hidden,
        dataset: d,
        points: model.meta!.points,
        trainSteps: model.meta!.trainSteps,
        batch: model.meta!.batch,
        finalLoss: model.meta!.finalLoss,
        trainer: model.meta!.trainer,
      });
      expect(facts.points).toBeGreaterThan(0);
      expect(facts.finalLoss).toBeGreaterThan(0);
    }
    // A header without the training record (or with unusable values) gives the architecture only.
    const config = { ...DEFAULT_MLP_CONFIG, blocks: 2, hidden: 32 };
    const malformed = { points: 'many', trainSteps: Number.NaN, trainer: '', finalLoss: null };
    const bare = mlpFacts({
      config,
      params: new Float32Array(0),
      meta: malformed as unknown as MlpModel['meta'],
    });
    expect(mlpFacts({ config, params: new Float32Array(0) })).toEqual({ blocks: 2, hidden: 32 });
    expect(bare).toEqual({ blocks: 2, hidden: 32 });
  });
});
