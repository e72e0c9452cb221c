#!/usr/bin/env bash
# Trains the Attention lab's shipped induction model on a borrowed GPU machine, from the pack that
# bench/device/prepare.sh made (carry bench/device/pack): the same trainer as `npm run train:induction`
# (GpuInductionTrainer on Dawn, float64 held-out scores every --eval-every steps, stop at --target).
#
#   bash bench/device/train-induction.sh [--steps N --eval-every N --target X]   (default 20000, 500, 0.8)
#
# Writes $OUT/induction.ksind and $OUT/induction.manifest.json (copy both into public/models/induction/)
# and $OUT/train.log. Run bench/device/run.sh first on a fresh machine: it sets up Node, Dawn and Vulkan.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACK="${PACK:-$here/pack}"
OUT="${OUT:-/tmp/kernelscope-bench-out}"
mkdir -p "$OUT"
NODE="$(command -v node || echo /tmp/kernelscope-node)"
[ -f "$PACK/train-induction.mjs" ] || { echo "train-induction.sh: $PACK/train-induction.mjs is missing: run bash bench/device/prepare.sh first."; exit 2; }
[ -f "$PACK/node_modules/webgpu/dist/linux-x64/dawn.node" ] || { echo "train-induction.sh: dawn.node is not unpacked: run bench/device/run.sh first (it unpacks dawn.node and sets up Vulkan)."; exit 2; }
# Defaults when no arguments are given (the trainer refuses an option given twice).
[ $# -gt 0 ] || set -- --steps 20000 --eval-every 500 --target 0.8
cd "$PACK" && "$NODE" train-induction.mjs --out "$OUT" "$@" 2>&1 | tee "$OUT/train.log"
