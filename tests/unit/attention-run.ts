/** A lab run of the Attention lab computed on the CPU (every stage), for tests of its views. */
import { runAttentionCpu } from '../../src/engine/attention';
import type { AttentionState } from '../../src/state/attention';
import { initialState } from '../../src/state/store';
import { prepareInputs } from '../../src/ui/attention/model';
import type { LabRun } from '../../src/ui/attention/session';
import { ALL_STAGES } from '../../src/ui/attention/stages';

/** The default attention state with `overrides`, prepared for at most `maxL` tokens, and its CPU run. */
export async function cpuLabRun(
  overrides: Partial<AttentionState>,
  maxL: number,
): Promise<{ params: AttentionState; lab: LabRun }> {
  const params = { ...initialState().labs.attention, ...overrides };
  const prepared = await prepareInputs(params, { maxL });
  const { reference: _, ...run } = runAttentionCpu(prepared.inputs, {
    mask: prepared.mask,
    stages: ALL_STAGES,
  });
  const lab: LabRun = {
    id: 1,
    prepared,
    run,
    full: true,
    available: new Set(ALL_STAGES),
    backendLabel: 'CPU',
    backend: { kind: 'cpu' },
    engine: null,
    notices: [],
  };
  return { params, lab };
}
