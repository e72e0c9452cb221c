// Shared by the Node/Dawn entry points (tests/node/run.mjs, bench/run-node.mjs, scripts/train-diffusion-mlp.mjs):
// bundling TypeScript sources (with `?raw` WGSL imports) for Node with Vite, and the Vulkan driver choice.
import { existsSync } from 'node:fs';

/** Chromium's SwiftShader Vulkan driver (Debian's chromium package): a software adapter, not a GPU. */
export const SWIFTSHADER_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;

/**
 * Bundles `input` ({ name: absolute path }) into `outDir/<name>.mjs` (ES modules for Node 20). `vite` adds to
 * the inline config (e.g. publicDir, assetsInclude, ssr.noExternal); `emptyOutDir` and `output` (Rollup
 * output options, e.g. codeSplitting) adjust the build. Vite is imported here only, never in the process that
 * then talks to Dawn.
 */
export async function bundleForNode(input, outDir, vite = {}, { emptyOutDir = true, output = {} } = {}) {
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'warn',
    ...vite,
    build: {
      ssr: true,
      outDir,
      emptyOutDir,
      target: 'node20',
      minify: false,
      rollupOptions: { input, output: { format: 'es', entryFileNames: '[name].mjs', ...output } },
    },
  });
}

/**
 * The environment for a child process that uses Dawn: unchanged when a Vulkan driver is chosen already
 * (VK_ICD_FILENAMES) or the machine has an NVIDIA device; otherwise (or with `force`) SwiftShader, if
 * installed. Returns { env, swiftshader } where swiftshader says whether the software driver was chosen.
 */
export function dawnEnv(base = process.env, { force = false } = {}) {
  const env = { ...base };
  const useSoftware =
    force || (!env.VK_ICD_FILENAMES && !existsSync('/dev/nvidia0') && existsSync(SWIFTSHADER_ICD));
  if (useSoftware) {
    env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    env.LD_LIBRARY_PATH = [SWIFTSHADER_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  return { env, swiftshader: useSoftware };
}
