/**
 * The GPT-2 view on a page without WebGPU: a small checkpoint (well under 16 M parameters) loads, runs on
 * the float64 CPU reference in a worker, fills the grid and the next tokens, and the lab's stage views run
 * on the CPU too (its float64 attention of the model's Q, K, V); the page says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/shell/app';
import { buildGpt2Safetensors } from '../helpers/gpt2-fixture';
import { mountLab, unmountApp, until } from './helpers';

const gpuDescriptor = Object.getOwnPropertyDescriptor(Navigator.prototype, 'gpu');
afterEach(() => {
  unmountApp();
  if (gpuDescriptor) Object.defineProperty(Navigator.prototype, 'gpu', gpuDescriptor);
});

describe('GPT-2 without WebGPU', () => {
  it('runs a small model on the CPU reference and says so', async () => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    const fixture = buildGpt2Safetensors({
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      nPositions: 32,
      dtype: 'F32',
      prefix: false,
      seed: 41,
      scale: 0.5,
    });
    const { lab } = await mountLab('/attention?model=gpt2', 'ks-attention-lab');
    const root = lab.shadowRoot!;
    const input = await until(() => root.querySelector<HTMLInputElement>('.gpt2-drop input[type="file"]'));
    const dt = new DataTransfer();
    dt.items.add(new File([fixture.bytes], 'model.safetensors'));
    dt.items.add(new File(['{"n_head": 2}'], 'config.json', { type: 'application/json' }));
    input.files = dt.files;
    input.dispatchEvent(new Event('change'));
    const panel = () => root.querySelector('section.gpt2')?.textContent ?? '';
    await until(() => panel().includes('runs on the float64 CPU reference in a worker'));
    const top = await until(() => {
      const items = root.querySelectorAll('.gpt2-top li');
      return items.length === 5 ? items : null;
    });
    expect(top).toHaveLength(5);
    expect(root.querySelectorAll('.gpt2-grid canvas')).toHaveLength(4);
    // The stage views: the lab's CPU backend on layer 0's Q, K, V.
    const line = await until(() => root.querySelector('.results[aria-busy="false"] .backend-line'));
    expect(line.textContent).toMatch(/CPU/);
    expect(root.querySelector('#enlarged-title')?.textContent).toContain('Head 1');
  });
});
