import { expect, type Page } from '@playwright/test';

/**
 * Clicks Pause and waits until training has really stopped; returns the step it stopped at. The button
 * turns back into Train at once, but the step in flight when Pause was clicked still completes (one more
 * update, shown a frame later) and image tasks then evaluate the held-out split. Reading the status right
 * after the click could see the step before that last one — on a loaded machine it often did, and a test
 * then waited for an evaluation "after step N" that never came, or exported tables one step apart. No
 * visible control says a step is in flight, so this awaits the lab's own training loop, then a frame and
 * the render that shows its last step.
 */
export async function pauseTraining(page: Page): Promise<number> {
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeVisible();
  await page.locator('ks-batchnorm-lab').evaluate(async (el) => {
    const lab = el as HTMLElement & { loop?: unknown; updateComplete?: Promise<unknown> };
    if (!(lab.loop instanceof Promise)) throw new Error('ks-batchnorm-lab has no training loop promise');
    await lab.loop;
    await new Promise((r) => requestAnimationFrame(r));
    await lab.updateComplete;
  });
  const text = (await page.getByRole('status', { name: 'Training status' }).textContent()) ?? '';
  return Number(/step (\d+)/.exec(text)![1]);
}
