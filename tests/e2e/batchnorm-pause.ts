import { expect, type Page } from '@playwright/test';

/**
 * Clicks Pause and waits until training has really stopped; returns the step it stopped at. The button
 * turns back into Train at once, but the step in flight when Pause was clicked still completes (one more
 * update) and image tasks then evaluate the held-out split. Reading the status right after the click
 * could see the step before that last one, so this waits for the lab's page state: `data-state` on
 * <ks-batchnorm-lab> goes training → pausing → paused, and `data-step` is the step shown; then for the
 * status line to show that step (it renders at the next animation frame).
 */
export async function pauseTraining(page: Page): Promise<number> {
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeVisible();
  const lab = page.locator('ks-batchnorm-lab');
  await expect(lab).toHaveAttribute('data-state', 'paused');
  const step = Number(await lab.getAttribute('data-step'));
  await expect(page.getByRole('status', { name: 'Training status' })).toContainText(
    new RegExp(`^step ${step}\\b`),
  );
  return step;
}
