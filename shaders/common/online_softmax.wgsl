// Online (streaming) softmax, shared by fused attention and the diffusion lab's exact denoiser
// (E[x0 | x_t] is attention with x_t as the query and the data as keys and values).
// State: running max m and running sum l of exp(x − m). Pushing a logit x returns (alpha, p): multiply
// existing accumulators by alpha, then add p · value. Masked logits are skipped by the caller (WGSL has
// no infinities; SOFTMAX_EMPTY marks "nothing seen yet").

const SOFTMAX_EMPTY: f32 = -3.0e38;

struct SoftmaxState {
  m: f32,
  l: f32,
};

fn softmax_state_new() -> SoftmaxState {
  return SoftmaxState(SOFTMAX_EMPTY, 0.0);
}

fn softmax_push(state: ptr<function, SoftmaxState>, x: f32) -> vec2<f32> {
  let m_new = max((*state).m, x);
  var alpha = 0.0;
  if ((*state).m > SOFTMAX_EMPTY) {
    alpha = exp((*state).m - m_new);
  }
  let p = exp(x - m_new);
  (*state).l = (*state).l * alpha + p;
  (*state).m = m_new;
  return vec2<f32>(alpha, p);
}

// Merges two partial states (e.g. from two key tiles); returns the factors for each side's accumulators.
fn softmax_merge(a: SoftmaxState, b: SoftmaxState) -> vec4<f32> {
  let m = max(a.m, b.m);
  var fa = 0.0;
  var fb = 0.0;
  if (a.m > SOFTMAX_EMPTY) {
    fa = exp(a.m - m);
  }
  if (b.m > SOFTMAX_EMPTY) {
    fb = exp(b.m - m);
  }
  return vec4<f32>(fa, fb, m, a.l * fa + b.l * fb);
}

// 1 / l, or 0 for a row that saw no unmasked logit (fully-masked rows give zero weights and zero output).
fn softmax_inv_sum(state: SoftmaxState) -> f32 {
  if (state.l > 0.0) {
    return 1.0 / state.l;
  }
  return 0.0;
}
