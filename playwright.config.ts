import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './tests/browser-launch.ts';

// End-to-end tests drive the built app (dist/, built with base /kernelscope/ to prove sub-path hosting)
// served by `vite preview`, in Debian's Chromium with a WebGPU adapter (SwiftShader on CPU-only machines).
const PORT = 4399;
export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/kernelscope/`,
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    viewport: { width: 1280, height: 900 },
    // The specs find controls by their English names; the Chinese journey (i18n.spec.ts) asks for zh-CN itself.
    locale: 'en-US',
    acceptDownloads: true,
  },
  webServer: {
    command: `npx vite preview --base=/kernelscope/ --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}/kernelscope/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
