/** The shape of a Dawn (Node) test file that tests/node/run.mjs runs, and one holding a GPU throughout. */
import type { GpuContext } from '../../src/gpu/device';
import { requestNodeGpu } from '../../src/gpu/node';

export type NodeTest = [name: string, run: () => Promise<void>];

export interface NodeSuite {
  setup?(): Promise<void>;
  teardown?(): void;
  tests: NodeTest[];
}

/**
 * A suite whose tests share one Dawn device: requested before the first test (handed to `use`, which
 * keeps it for the tests), destroyed after the last.
 */
export function gpuSuite(use: (gpu: GpuContext) => void, tests: NodeTest[]): NodeSuite {
  let gpu: GpuContext | undefined;
  return {
    async setup() {
      gpu = await requestNodeGpu();
      use(gpu);
    },
    teardown() {
      gpu?.destroy();
    },
    tests,
  };
}
