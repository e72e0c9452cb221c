import { expect, test } from '@playwright/test';
import { seriousAxeViolations } from './helpers';

// Automated accessibility check (axe-core): no serious or critical violations on each page that is built, in
// the light theme; i18n.spec.ts checks each page again in the dark theme and in Chinese.
const PAGES: Array<[string, string, string]> = [
  ['start page', './', 'Kernelscope'],
  ['Random lab', './#/random?seed=1&count=10000&transform=uniform&bins=32', 'Moments'],
  // Attention (light) and Diffusion (both themes) are also checked in their own specs.
  ['Attention lab', './#/attention?mask=causal&heads=2&row=3', 'Weights of query'],
  ['BatchNorm lab', './#/batchnorm', 'Per-channel batch variance'],
  ['Recommendation lab', './#/recommend?users=8&items=1024', 'A user with narrow tastes'],
];

for (const [name, url, ready] of PAGES) {
  for (const theme of ['light']) {
    test(`${name} (${theme} theme) has no serious or critical axe violations`, async ({ page }) => {
      await page.goto(`${url}${url.includes('?') ? '&' : url.includes('#') ? '?' : '#/?'}theme=${theme}`);
      await expect(page.getByText(ready).first()).toBeVisible();
      expect(await seriousAxeViolations(page)).toEqual([]);
    });
  }
}
