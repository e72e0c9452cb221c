// Shared by embedding.wgsl and embedding_backward.wgsl (joined first): the parameters and the token ids
// [rows] (rows = batch·len).

struct Params {
  rows: u32,
  len: u32,
  dim: u32,
  vocab: u32,
  threads_per_row: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
