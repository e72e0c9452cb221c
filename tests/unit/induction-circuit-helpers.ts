/**
 * A hand-built induction circuit (dModel 259, one head per layer): layer 0 attends to the previous position
 * and writes that token into its own subspace; layer 1 matches the current token against it and copies the
 * next one. Shared by the circuit and the sequence-analysis tests.
 */
import {
  parameterCount,
  parameterLayout,
  tensorSlot,
  type InductionConfig,
} from '../../src/models/induction';

// Residual: 0–64 token one-hot (64 = BOS), 65–128 position one-hot, 129–193 previous token, 194–258 output.
export const CONFIG: InductionConfig = {
  layers: 2,
  heads: 1,
  dModel: 259,
  dHead: 65,
  vocab: 64,
  context: 64,
};
export const BETA = 20;
export const GAIN = 12;
const C = Math.sqrt(BETA * Math.sqrt(65)); // q·k·scale = c²/√65 = β

export function circuit(): Float64Array {
  const layout = parameterLayout(CONFIG);
  const p = new Float64Array(parameterCount(CONFIG));
  const set = (name: string, r: number, c: number, v: number) => {
    const s = tensorSlot(layout, name);
    p[s.offset + r * s.shape[1] + c] = v;
  };
  for (let v = 0; v < 65; v++) set('tokEmbed', v, v, 1);
  for (let t = 0; t < 64; t++) set('posEmbed', t, 65 + t, 1);
  // Layer 0: position t queries position t − 1; copies the token there into 129 + v.
  for (let t = 0; t < 64; t++) set('layers.0.wQ', 65 + t, t, C);
  for (let s = 0; s < 63; s++) set('layers.0.wK', 65 + s, s + 1, C);
  // Layer 1: token v queries keys whose previous token is v; copies the key's token into 194 + v.
  for (let v = 0; v < 65; v++) {
    set('layers.0.wV', v, v, 1);
    set('layers.0.wO', v, 129 + v, 1);
    set('layers.1.wQ', v, v, C);
    set('layers.1.wK', 129 + v, v, C);
    set('layers.1.wV', v, v, 1);
    set('layers.1.wO', v, 194 + v, 1);
    set('unembed', 194 + v, v, GAIN);
  }
  return p;
}
