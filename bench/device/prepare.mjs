// `bash bench/device/prepare.sh` (this file does the work): packs the Node/Dawn benchmark for a borrowed
// GPU machine that has no npm registry and maybe no Node, into bench/device/pack/ (ignored by git; name it
// in the device tool's `carry`). Everything the run needs is inside:
//   pack/bench-node.mjs                  bench/node-entry.ts and everything it imports, one file (Vite SSR
//                                        build, nothing external but `webgpu` and Node built-ins; the WGSL,
//                                        the two-moons MLP weights and TensorFlow.js (the peer) are inlined)
//   pack/train-induction.mjs            scripts/train-induction.ts the same way (bench/device/train-induction.sh)
//   pack/node_modules/webgpu/            the `webgpu` package's loader and its linux-x64 dawn.node (as
//                                        dawn.node.xz; run.sh decompresses it in place)
//   pack/node/node.xz                    this machine's Node binary (x86-64 Linux), xz-compressed, for
//                                        machines without Node ≥ 20 (run.sh decompresses it into /tmp)
//   pack/gl/*.deb                        Debian's Vulkan/GL loader packages (amd64), unpacked by run.sh only
//                                        when the machine has no libvulkan.so.1 (device README's recipe)
//   pack/MANIFEST.txt                    what is inside, sizes, and the source commit
// Options: --no-node (skip the Node binary), --no-gl (skip the loader packages: no apt here).
// Fails when the pack plus the working tree would exceed the device tool's 64 MiB.
import { bundleForNode } from '../../scripts/node-dawn.mjs';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);
const pack = resolve('bench/device/pack');
const LIMIT = 64 * 2 ** 20;

if (process.platform !== 'linux' || process.arch !== 'x64')
  throw new Error(
    `prepare: the device machine is x86-64 Linux; this is ${process.platform}-${process.arch}.`,
  );

rmSync(pack, { recursive: true, force: true });
mkdirSync(pack, { recursive: true });

// 1. One-file bundles of the Node benchmark and of the induction trainer (train-induction.sh).
for (const [name, entry] of [
  ['bench-node', 'bench/node-entry.ts'],
  ['train-induction', 'scripts/train-induction.ts'],
])
  await bundleForNode(
    { [name]: resolve(entry) },
    pack,
    {
      publicDir: false,
      assetsInclude: ['**/*.ksmlp'],
      ssr: { noExternal: true, external: ['webgpu'] },
    },
    { emptyOutDir: false, output: { codeSplitting: false } },
  );
const files = readdirSync(pack).sort();
if (files.join() !== 'bench-node.mjs,train-induction.mjs')
  throw new Error(`prepare: expected two bundle files, got ${files.join(', ')}`);
const bundle = files.map((f) => readFileSync(join(pack, f), 'utf8')).join('\n');
const imports = [
  ...bundle.matchAll(/(?:^|\n)\s*import\s[^'"]*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
]
  .map((m) => m[1] ?? m[2])
  // Node built-ins, with or without `node:` (tfjs-core's Node platform imports http, zlib, … by bare name).
  .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s));
const foreign = [...new Set(imports)].filter((s) => s !== 'webgpu');
if (foreign.length) throw new Error(`prepare: the bundle still imports ${foreign.join(', ')}`);

// 2. The webgpu package: its loader and the linux-x64 native addon.
const web = resolve('node_modules/webgpu');
const webTo = join(pack, 'node_modules/webgpu');
mkdirSync(join(webTo, 'dist/linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(join(web, f), join(webTo, f));
const webgpuVersion = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')).version;

const run = (cmd, argv, opts = {}) => {
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`prepare: ${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal})`);
  return r.stdout;
};
// dawn.node xz-compressed (21 MiB → 5 MiB); run.sh restores it next to the loader before the first use.
writeFileSync(
  join(webTo, 'dist/linux-x64/dawn.node.xz'),
  run('xz', ['-9', '-T2', '-c', join(web, 'dist/linux-x64/dawn.node')]),
);

// 3. Node itself (the device image is not known to have Node ≥ 20).
if (!args.includes('--no-node')) {
  mkdirSync(join(pack, 'node'));
  const ldd = spawnSync('ldd', [process.execPath], { encoding: 'utf8' }).stdout ?? '';
  const libs = [...ldd.matchAll(/^\s*(\S+\.so[.\d]*)/gm)].map((m) => m[1]);
  const unusual = libs.filter(
    (l) =>
      !/^(linux-vdso|libdl|libstdc\+\+|libm|libgcc_s|libpthread|libc|ld-linux-x86-64)\.so/.test(l) &&
      !l.startsWith('/lib64/'),
  );
  if (unusual.length)
    throw new Error(
      `prepare: ${process.execPath} needs ${unusual.join(', ')}; use an official Node build (only glibc and libstdc++).`,
    );
  console.log(`prepare: compressing ${process.execPath} (Node ${process.version}) with xz…`);
  writeFileSync(join(pack, 'node/node.xz'), run('xz', ['-9', '-T2', '-c', process.execPath]));
  writeFileSync(join(pack, 'node/VERSION'), `${process.version}\n`);
}

// 4. Vulkan / GL loader packages (device README recipe), amd64, from Debian's archive.
if (!args.includes('--no-gl')) {
  const gl = join(pack, 'gl');
  const lists = '/tmp/kernelscope-apt-amd64';
  mkdirSync(gl);
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
  run('apt-get', [...o, '-qq', 'update']);
  run(
    'apt-get',
    [
      ...o,
      '-qq',
      'download',
      'libvulkan1',
      'libegl1',
      'libglvnd0',
      'libopengl0',
      'libgl1',
      'libglx0',
      'libgles2',
    ],
    {
      cwd: gl,
    },
  );
}

// 5. Manifest and the size check.
const list = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else list.push([p.slice(pack.length + 1), statSync(p).size]);
  }
};
walk(pack);
const packBytes = list.reduce((a, [, n]) => a + n, 0);
const tracked = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  maxBuffer: 1 << 28,
})
  .toString()
  .split('\0')
  .filter((f) => f && existsSync(f) && statSync(f).isFile())
  .reduce((a, f) => a + statSync(f).size, 0);
const commit = run('git', ['rev-parse', 'HEAD']).toString().trim();
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const manifest = [
  `Kernelscope device pack, made ${new Date().toISOString()} from commit ${commit}`,
  `(working tree: uncommitted changes, if any, are included in the bundle as they were)`,
  `${args.includes('--no-node') ? 'no Node binary (--no-node)' : `Node ${process.version} (node/node.xz)`}, ` +
    `webgpu ${webgpuVersion} (Dawn), bench-node.mjs ${mib(statSync(join(pack, 'bench-node.mjs')).size)}` +
    `${args.includes('--no-gl') ? ', no loader packages (--no-gl)' : ''}`,
  '',
  ...list.map(([f, n]) => `${mib(n).padStart(10)}  ${f}`),
  '',
  `pack ${mib(packBytes)} + working tree ${mib(tracked)} = ${mib(packBytes + tracked)} of the device tool's ${mib(LIMIT)}`,
].join('\n');
writeFileSync(join(pack, 'MANIFEST.txt'), `${manifest}\n`);
console.log(manifest);
if (packBytes + tracked > LIMIT)
  throw new Error(`prepare: ${mib(packBytes + tracked)} exceeds the ${mib(LIMIT)} the device tool carries.`);
console.log(
  `\nReady: run the device tool with carry ["bench/device/pack"] and command "bash bench/device/run.sh".`,
);
