/**
 * Writes src/models/recommend-ranker-weights.json: the recommendation lab's ranker trained on the CPU
 * (trainRankerCpu, float64) on clickData of the seeded catalogue, with its held-out AUC and the pre-rank
 * score's on the same test rows. Node 20 runs no TypeScript, so bundle it first:
 *
 *   npx rolldown scripts/train-ranker.ts --platform node --format esm -o /tmp/train-ranker.mjs &&
 *     node /tmp/train-ranker.mjs [--seed 42] [--items 16384] [--users 256] [--steps 3000] [--dry]
 *
 * --dry prints the numbers and writes nothing (for trying other seeds).
 */
import { writeFileSync } from 'node:fs';
import { makeItems, makeUsers } from '../src/models/recommend-data';
import {
  auc,
  clickData,
  encodeTensor,
  rankerScoreRef,
  trainRankerCpu,
  type RankerWeightFile,
} from '../src/models/recommend-ranker';

/** The lab's default catalogue (src/state/recommend.ts: seed 42, 16,384 items, 256 users, α 0.3). */
export const RANKER_DEFAULTS = { seed: 42, items: 16384, users: 256, alpha: 0.3, steps: 3000 } as const;

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`${name} needs a number.`);
  return v;
};
const seed = option('--seed', RANKER_DEFAULTS.seed);
const itemCount = option('--items', RANKER_DEFAULTS.items);
const userCount = option('--users', RANKER_DEFAULTS.users);
const steps = option('--steps', RANKER_DEFAULTS.steps);
const alpha = RANKER_DEFAULTS.alpha;

const t0 = Date.now();
const items = makeItems(seed, itemCount);
const users = makeUsers(items, seed, userCount, alpha);
const data = clickData(items, users, seed);
const t1 = Date.now();
const { weights, loss } = trainRankerCpu(data, steps, seed);
const t2 = Date.now();
const test = data.test;
const scores = rankerScoreRef(weights, test.inputs, test.labels.length);
const rankerAuc = auc(scores, test.labels);
const prerankAuc = auc(data.testPrerank, test.labels);
console.log(
  `seed ${seed}, ${itemCount} items, ${userCount} users: ${data.labels.length} training rows, ` +
    `${test.labels.length} held-out rows (data ${((t1 - t0) / 1000).toFixed(1)} s); ${steps} steps ` +
    `(${((t2 - t1) / 1000).toFixed(1)} s), final loss ${loss.toFixed(4)}; held-out AUC ranker ` +
    `${rankerAuc.toFixed(4)}, pre-rank ${prerankAuc.toFixed(4)}`,
);
if (!args.includes('--dry')) {
  const file: RankerWeightFile = {
    seed,
    items: itemCount,
    users: userCount,
    alpha,
    steps,
    auc: Number(rankerAuc.toFixed(6)),
    prerankAuc: Number(prerankAuc.toFixed(6)),
    tensors: Object.fromEntries([...weights].map(([name, w]) => [name, encodeTensor(w)])),
  };
  const path = 'src/models/recommend-ranker-weights.json';
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  console.log(`wrote ${path}`);
}
