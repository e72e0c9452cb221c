// Merges the per-family result files that bench/device/run.sh wrote into one result in the format of
// bench/results/*.json (the same fields as one `npm run bench:node` run; `report` holds each family's
// printed report in turn). Plain Node, no dependencies:  node merge.mjs DIR
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node merge.mjs DIR');
const parts = ['training', 'diffusion', 'attention', 'random']
  .map((f) => join(dir, `${f}.json`))
  .filter((f) => existsSync(f))
  .map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (parts.length === 0) {
  console.log('merge: no family results to merge.');
  process.exit(1);
}
const first = parts[0];
for (const p of parts)
  if (p.adapter.name !== first.adapter.name)
    throw new Error(`merge: adapters differ (${p.adapter.name} vs ${first.adapter.name})`);
// Timestamp quantisation over all parts (bench/timestamps.ts): sums, the smallest minimum, the gcd of the
// divisors; quantised again means ≥ 8 non-zero durations sharing a divisor ≥ 1 µs.
const gcd = (a, b) => (b ? gcd(b, a % b) : a);
const qs = parts.map((p) => p.timestampQuantisation).filter(Boolean);
const nonZero = qs.reduce((a, q) => a + q.samples - q.zeros, 0);
const quantum = qs.reduce((a, q) => (q.quantumNs === null ? a : gcd(a, q.quantumNs)), 0) || null;
const timestampQuantisation = qs.length
  ? {
      samples: qs.reduce((a, q) => a + q.samples, 0),
      zeros: qs.reduce((a, q) => a + q.zeros, 0),
      minNonZeroNs: quantum === null ? null : Math.min(...qs.map((q) => q.minNonZeroNs ?? Infinity)),
      quantumNs: quantum,
      quantised: nonZero < 8 ? null : quantum >= 1000,
    }
  : undefined;
const merged = {
  ...first,
  timestampQuantisation,
  options: { ...first.options, filter: null, timeBudgetS: null },
  setup: parts.flatMap((p) => p.setup),
  cases: parts.flatMap((p) => p.cases),
  growth: parts.flatMap((p) => p.growth),
  ratios: parts.flatMap((p) => p.ratios),
  notes: [
    ...new Set([
      ...parts.flatMap((p) => p.notes),
      `Device run (bench/device/run.sh): families run as separate processes with their own time budgets (${parts
        .map((p) => `${p.options.filter} ${p.options.timeBudgetS} s`)
        .join(', ')}).`,
    ]),
  ],
  report: parts.map((p) => p.report).join('\n\n'),
};
// The suite's adapterSlug (bench/suite.ts); older result files have no slug.
const slug =
  first.adapter.slug ??
  first.adapter.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const file = join(dir, `${first.date.slice(0, 10)}-${slug}-node${first.options.quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`merge: ${parts.length} families, ${merged.cases.length} cases → ${file}`);
