/**
 * Linear layers on shaders/nn/matmul.wgsl, for both weight layouts: W[in][out] (Y = X·W + b, the BatchNorm
 * lab's MLP) and W[out][in] (Y = X·Wᵀ + b, PyTorch's nn.Linear and the diffusion ε-MLP).
 */
import { UniformLayout } from '../../gpu/uniforms';
import type { BufferOrView, Dispatch } from './pipelines';
import { barrierFree, dispatch, type OpResources } from './op-resources';

const MATMUL = new UniformLayout([
  ['m', 'u32'],
  ['n', 'u32'],
  ['k', 'u32'],
  ['flags', 'u32'],
] as const);

const TILE = 16;
const TRANS_A = 1;
const TRANS_B = 2;
const BIAS = 4;
/** Also sums[col] = Σ_k op(B)(k, col) / sums[row] = Σ_k op(A)(row, k): db folded into the dW product. */
const SUM_B_COLS = 8;
const SUM_A_ROWS = 16;

interface LinearShape {
  rows: number;
  inDim: number;
  outDim: number;
  /**
   * true: a barrier-free kernel (`matmul_direct`, or `matmul_block8` under the 'barrier-free' style); false:
   * the tiled one; absent: the style's default. All three sum each dot product in the same k order.
   */
  direct?: boolean;
  /** Backward: db from the dW dispatch's own loads (one dispatch fewer) instead of a column-sum dispatch. */
  foldBias?: boolean;
}

/** C[m, n] = op(A)·op(B) (+ bias) with the kernel chosen by the style and `direct` (see LinearShape). */
function matmulDispatch(
  res: OpResources,
  label: string,
  dims: { m: number; n: number; k: number; flags: number },
  buffers: [a: BufferOrView, b: BufferOrView, bias: BufferOrView, c: BufferOrView],
  direct?: boolean,
  sums?: BufferOrView,
): Dispatch {
  const u = res.uniform(MATMUL, `${label}.params`, dims);
  const bind = [u, ...buffers, sums ?? res.scratch()];
  const maxGroups = res.device.limits.maxComputeWorkgroupsPerDimension;
  const blockGroups = Math.ceil((Math.ceil(dims.m / 8) * Math.ceil(dims.n / 8)) / 64);
  if (direct !== false && barrierFree(res.device) && blockGroups <= maxGroups) {
    return dispatch(res, 'matmul', 'matmul_block8', `${label}.bg`, bind, blockGroups);
  }
  const groups = Math.ceil((dims.m * dims.n) / 64);
  if (direct && groups <= maxGroups) {
    return dispatch(res, 'matmul', 'matmul_direct', `${label}.bg`, bind, groups);
  }
  const [x, y] = [Math.ceil(dims.n / TILE), Math.ceil(dims.m / TILE)];
  return dispatch(res, 'matmul', 'matmul', `${label}.bg`, bind, x, y);
}

/** How W is stored: 'in-out' is W[in][out] (Y = X·W + b), 'out-in' is W[out][in] (Y = X·Wᵀ + b). */
type WeightLayout = 'in-out' | 'out-in';

type LinearForward = (
  res: OpResources,
  label: string,
  s: LinearShape,
  x: GPUBuffer,
  w: BufferOrView,
  b: BufferOrView,
  y: GPUBuffer,
) => Dispatch[];

/** Without `dx`, dX is not computed. */
type LinearBackward = (
  res: OpResources,
  label: string,
  s: LinearShape,
  x: GPUBuffer,
  w: BufferOrView,
  dy: GPUBuffer,
  dw: BufferOrView,
  db: BufferOrView,
  dx?: GPUBuffer,
) => Dispatch[];

function forward(layout: WeightLayout): LinearForward {
  const flags = layout === 'out-in' ? TRANS_B | BIAS : BIAS;
  return (res, label, s, x, w, b, y) => {
    const dims = { m: s.rows, n: s.outDim, k: s.inDim, flags };
    return [matmulDispatch(res, `${label}.forward`, dims, [x, w, b, y], s.direct)];
  };
}

/**
 * The backward dispatches in their order: dW, db = Σ_rows dY (with s.foldBias from the dW dispatch's own
 * loads, else a column sum), then dX when asked for. 'in-out': dW = Xᵀ·dY, dX = dY·Wᵀ (the style's default kernel); 'out-in': dW = dYᵀ·X, dX = dY·W
 * (kernel chosen by s.direct).
 */
function backward(layout: WeightLayout): LinearBackward {
  const outIn = layout === 'out-in';
  return (res, label, s, x, w, dy, dw, db, dx) => {
    const direct = outIn ? s.direct : undefined;
    const fold = s.foldBias ? (outIn ? SUM_A_ROWS : SUM_B_COLS) : 0;
    const dims = outIn
      ? { m: s.outDim, n: s.inDim, k: s.rows, flags: TRANS_A | fold }
      : { m: s.inDim, n: s.outDim, k: s.rows, flags: TRANS_A | fold };
    const [a, b] = outIn ? [dy, x] : [x, dy];
    const out = s.foldBias
      ? [matmulDispatch(res, `${label}.dw`, dims, [a, b, b, dw], direct, db)]
      : [matmulDispatch(res, `${label}.dw`, dims, [a, b, b, dw], direct), columnSum(res, label, s, dy, db)];
    if (dx) {
      const dxDims = { m: s.rows, n: s.inDim, k: s.outDim, flags: outIn ? 0 : TRANS_B };
      out.push(matmulDispatch(res, `${label}.dx`, dxDims, [dy, w, w, dx], direct));
    }
    return out;
  };
}

/** Y[rows, out] = X[rows, in]·W[in, out] + b. */
export const linearForward = forward('in-out');

/** Y[rows, out] = X[rows, in]·Wᵀ + b with W stored [out][in] (row-major). */
export const linearOutInForward = forward('out-in');

/** dW = Xᵀ·dY, db = Σ_rows dY and (when dx is given) dX = dY·Wᵀ, for W[in][out]. */
export const linearBackward = backward('in-out');

/** Backward of linearOutInForward: dW[out, in] = dYᵀ·X, db = Σ_rows dY and (when dx is given) dX = dY·W. */
export const linearOutInBackward = backward('out-in');

/** db[out] = Σ_rows dY[rows, out]. */
function columnSum(res: OpResources, label: string, s: LinearShape, dy: GPUBuffer, db: BufferOrView) {
  const u = res.uniform(MATMUL, `${label}.db.params`, { m: s.rows, n: s.outDim, k: 0, flags: 0 });
  return dispatch(
    res,
    'matmul',
    'column_sum',
    `${label}.db.bg`,
    [u, dy, dy, dy, db, res.scratch()],
    Math.ceil(s.outDim / 64),
  );
}
