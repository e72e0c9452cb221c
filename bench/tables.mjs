// Markdown tables from a benchmark result file, for BENCHMARKS.md (so the numbers there are copied by a
// program, not by hand):  node bench/tables.mjs bench/results/<file>.json [--family=training]
// Times are median wall times per call; "—" = not measured (the JSON's `skipped` says why).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: node bench/tables.mjs RESULT.json [--family=NAME]');
const only = args.find((a) => a.startsWith('--family='))?.slice('--family='.length);
const r = JSON.parse(readFileSync(file, 'utf8'));

const ms = (x) => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x < 1) return `${(x * 1000).toFixed(0)} µs`;
  if (x < 100) return `${x.toFixed(2)} ms`;
  if (x < 10_000) return `${x.toFixed(0)} ms`;
  return `${(x / 1000).toFixed(1)} s`;
};
const rate = (x) =>
  x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2);
const bytes = (b) =>
  b === undefined
    ? '—'
    : b < 1024
      ? `${Number.isInteger(b) ? b : b < 10 ? b.toFixed(2) : b.toFixed(0)} B`
      : b < 1024 ** 2
        ? `${(b / 1024).toFixed(1)} KiB`
        : `${(b / 1024 ** 2).toFixed(1)} MiB`;
const num = (x) => (x === undefined ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(2));
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((x) => `| ${x.join(' | ')} |`),
  ].join('\n');
const key = (c, omit = []) =>
  Object.entries(c.params)
    .filter(([k]) => !omit.includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
const stepsRow = (g, c) => {
  const ratio = g?.wallMs && c?.wallMs ? `${(c.wallMs.median / g.wallMs.median).toFixed(2)}×` : '—';
  const per = (g?.stepsPerCall ?? 1) > 1 ? g.stepsPerCall : 1;
  return [
    ms(g?.wallMs?.median),
    rate(g?.stepsPerSecond),
    ms(c?.wallMs?.median),
    rate(c?.stepsPerSecond),
    ratio,
    g?.dispatches !== undefined ? `${num(g.dispatches / per)} / ${num(g.submits / per)}` : '—',
    g?.bytesRead !== undefined ? bytes(g.bytesRead / per) : '—',
    g?.buffersCreatedPerRun !== undefined ? num(g.buffersCreatedPerRun / per) : '—',
  ];
};
const stepsHead = [
  'GPU step',
  'GPU steps/s',
  'CPU step',
  'CPU steps/s',
  'CPU ÷ GPU',
  'dispatches / submits per step',
  'read back per step',
  'GPU buffers created per step',
];

console.log(
  `Adapter: ${r.adapter.name} — ${r.runner} — ${r.date} — ${r.options.quick ? '--quick' : 'full'}\n`,
);
for (const family of ['random', 'attention', 'training', 'diffusion', 'recommend', 'induction', 'gpt2']) {
  if (only && family !== only) continue;
  const cs = r.cases.filter((c) => c.family === family);
  if (!cs.length) continue;
  console.log(`### ${family}\n`);
  if (family === 'training') {
    const rows = [];
    for (const c of cs.filter((x) => x.variant === 'gpu')) {
      const cpu = cs.find((x) => x.variant === 'cpu' && key(x) === key(c));
      rows.push([
        c.params.net,
        String(c.params.batch),
        ...stepsRow(c.skipped ? undefined : c, cpu?.skipped ? undefined : cpu),
      ]);
      const pip = cs.find((x) => x.variant === 'gpu-pipelined' && key(x, ['stepsPerCall']) === key(c));
      if (pip)
        rows.push([
          `${pip.params.net}, ${pip.params.stepsPerCall} steps per submit-and-read`,
          String(pip.params.batch),
          ...stepsRow(pip.skipped ? undefined : pip, undefined),
        ]);
      const old = cs.find(
        (x) => x.variant === 'gpu-pipelined-submits' && key(x, ['stepsPerCall']) === key(c),
      );
      if (old)
        rows.push([
          `${old.params.net}, ${old.params.stepsPerCall} steps, one submit each (before the batch ring)`,
          String(old.params.batch),
          ...stepsRow(old.skipped ? undefined : old, undefined),
        ]);
    }
    console.log(table(['network', 'batch', ...stepsHead], rows));
  } else if (family === 'diffusion') {
    const rows = cs
      .filter((x) => x.variant === 'gpu')
      .map((g) => {
        const c = cs.find((x) => x.variant === 'cpu' && key(x) === key(g));
        return [
          g.params.denoiser,
          g.params.sampler,
          String(g.params.particles),
          ...stepsRow(g.skipped ? undefined : g, c?.skipped ? undefined : c),
        ];
      });
    console.log(table(['denoiser', 'sampler', 'particles', ...stepsHead], rows));
  } else if (family === 'induction') {
    console.log(inductionTable(cs));
  } else {
    const variants = [...new Set(cs.map((c) => c.variant))];
    const groups = [...new Set(cs.map((c) => key(c, ['pool'])))];
    const rows = groups.map((k) => [
      k,
      ...variants.map((v) => {
        const c = cs.find((x) => x.variant === v && key(x, ['pool']) === k);
        return c && !c.skipped ? ms(c.wallMs?.median) : '—';
      }),
    ]);
    console.log(table(['case', ...variants], rows));
  }
  const growth = r.growth.filter((g) => g.family === family && g.slope !== null);
  if (growth.length) {
    console.log(
      `\nGrowth (log-log slope of median wall time against ${{ random: 'count', attention: 'L', training: 'batch', diffusion: 'particles', recommend: 'items', induction: 'batch', gpt2: 'T' }[family]}):\n`,
    );
    console.log(
      table(
        ['variant', 'case', 'slope', 'sizes'],
        growth.map((g) => [g.variant, g.params, g.slope.toFixed(2), g.sizes.join(', ')]),
      ),
    );
  }
  const labels = new Set(
    cs.flatMap((c) => (c.buffersCreatedLabels ?? []).map((l) => l.replace(/\[\d+\]/, '[k]'))),
  );
  if (labels.size)
    console.log(`\nGPU buffers created during measured calls (labels): ${[...labels].join(', ')}`);
  console.log('');
}

/**
 * Induction training: one row per variant, times per step (a pipelined call takes stepsPerCall steps);
 * CPU ÷ GPU compares per-step medians with the cpu row; dispatches / submits per step are the trainer's.
 */
function inductionTable(cs) {
  const model = (c) => key(c, ['stepsPerCall', 'dispatchesPerStep', 'submitsPerStep']);
  const perStep = (c) => (c?.wallMs ? c.wallMs.median / (c.stepsPerCall ?? 1) : undefined);
  const rows = cs.map((c) => {
    const done = c.skipped ? undefined : c;
    const cpu = cs.find((x) => x.variant === 'cpu' && !x.skipped && model(x) === model(c));
    const per = c.stepsPerCall ?? 1;
    const gpu = c.variant !== 'cpu';
    return [
      c.variant,
      model(c),
      String(per),
      ms(perStep(done)),
      rate(done?.stepsPerSecond),
      gpu && done && perStep(cpu) !== undefined ? `${(perStep(cpu) / perStep(done)).toFixed(2)}×` : '—',
      gpu && c.params.dispatchesPerStep !== undefined
        ? `${c.params.dispatchesPerStep} / ${c.params.submitsPerStep}`
        : '—',
      done?.dispatches !== undefined ? `${num(done.dispatches)} / ${num(done.submits)}` : '—',
      done?.bytesRead !== undefined && gpu ? bytes(done.bytesRead / per) : '—',
      done?.buffersCreatedPerRun !== undefined ? num(done.buffersCreatedPerRun / per) : '—',
    ];
  });
  return table(
    [
      'variant',
      'model',
      'steps per call',
      'time per step',
      'steps/s',
      'CPU ÷ GPU (per step)',
      'dispatches / submits per step (trainer)',
      'dispatches / submits per call (counted)',
      'read back per step',
      'GPU buffers created per step',
    ],
    rows,
  );
}
