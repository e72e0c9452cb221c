#!/usr/bin/env bash
# The whole benchmark suite (no --quick) on a borrowed GPU machine, from the pack that
# bench/device/prepare.sh made (bench/device/pack/, carried by the device tool). Needs no npm and no
# node_modules: Node, the bundle and Dawn's addon are all in the pack.
#
#   bash bench/device/run.sh [extra benchmark flags, e.g. --quick or --adapter=NVIDIA]
#
# Environment: OUT (results folder; default /tmp/kernelscope-bench-out), BENCH_BUDGET_S (seconds for the
# whole suite, default 360), BENCH_TOTAL_S (hard end of the whole script, default 470: under 8 minutes), BENCH_USE_PACK_NODE=1 (use the carried Node even if the machine has one), BENCH_FAMILIES (default "training diffusion attention random"), PACK (default
# bench/device/pack next to this script).
# Writes to $OUT: adapter.txt (the probe, nvidia-smi, Vulkan facts), run.log (everything printed),
# one JSON per family and the merged <date>-<adapter>-node.json (copy it into bench/results/).
# Families run as separate processes, most wanted first (training, diffusion, attention, random), each
# with its share of the time left (--time-budget: later cases are skipped, and say so) and a hard timeout
# 60 s above it, never past BENCH_TOTAL_S from the start, so the script ends within 8 minutes.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACK="${PACK:-$here/pack}"
OUT="${OUT:-/tmp/kernelscope-bench-out}"
BUDGET="${BENCH_BUDGET_S:-360}"
TOTAL="${BENCH_TOTAL_S:-470}"
mkdir -p "$OUT"
LOG="$OUT/run.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
started=$(date +%s)

[ -f "$PACK/bench-node.mjs" ] || {
  say "run.sh: $PACK/bench-node.mjs is missing: run bash bench/device/prepare.sh first and carry bench/device/pack."
  exit 2
}
say "== Kernelscope device benchmark, $(date -u +%FT%TZ), pack: $(head -1 "$PACK/MANIFEST.txt" 2>/dev/null)"

unxz_to() { # unxz_to FILE.xz TARGET: xz if the machine has it, else Python's lzma
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1" >"$2.part"
  else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2.part"
  fi && mv "$2.part" "$2"
}
dawn="$PACK/node_modules/webgpu/dist/linux-x64/dawn.node"
if [ ! -f "$dawn" ]; then
  unxz_to "$dawn.xz" "$dawn" || { say "run.sh: could not decompress $dawn.xz"; exit 2; }
fi

# --- Node: the machine's own if it is >= 20, else the carried binary.
NODE=""
if [ -z "${BENCH_USE_PACK_NODE:-}" ] && command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
  NODE="$(command -v node)"
elif [ -f "$PACK/node/node.xz" ]; then
  NODE=/tmp/kernelscope-node
  if [ ! -x "$NODE" ]; then
    unxz_to "$PACK/node/node.xz" "$NODE" && chmod +x "$NODE" || { say "run.sh: could not decompress node.xz"; exit 2; }
  fi
else
  say "run.sh: no Node >= 20 here and none in the pack (prepare.sh --no-node?)."
  exit 2
fi
say "Node: $NODE $("$NODE" --version 2>&1)"

# --- Vulkan loader: Dawn dlopens libvulkan.so.1. Bring Debian's when the machine has none (device README).
have_vulkan() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && return 0
  local d
  for d in ${LD_LIBRARY_PATH//:/ }; do [ -e "$d/libvulkan.so.1" ] && return 0; done
  return 1
}
if ! have_vulkan; then
  if ls "$PACK"/gl/*.deb >/dev/null 2>&1; then
    say "No libvulkan.so.1 here: unpacking the carried loader packages ($(ls "$PACK"/gl | tr '\n' ' '))"
    for f in "$PACK"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    say "No libvulkan.so.1 here and no loader packages in the pack."
  fi
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
icds="$(ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | tr '\n' ' ')"

probe() {
  timeout 60 "$NODE" "$PACK/bench-node.mjs" --probe "$@" 2>&1
}
{
  echo "uname: $(uname -a)"
  echo "nvidia-smi: $(nvidia-smi -L 2>&1 | head -3)"
  echo "libvulkan: $(ldconfig -p 2>/dev/null | grep libvulkan | head -2 | tr -s ' ')"
  echo "ICD files in the standard folders: ${icds:-none}; NVIDIA's at $nvidia_icd: $([ -f $nvidia_icd ] && echo yes || echo no)"
} | tee -a "$LOG" >"$OUT/adapter.txt"

# --- An adapter: as the machine is, then with NVIDIA's ICD named, then with the loader's errors shown.
ADAPTER_ARGS=()
for a in "$@"; do case "$a" in --adapter=*) ADAPTER_ARGS+=("$a") ;; esac; done
p="$(probe "${ADAPTER_ARGS[@]}")"
if ! grep -q '^probe: ' <<<"$p" && [ -f "$nvidia_icd" ]; then
  say "No adapter as the machine is ($(tail -1 <<<"$p")); retrying with VK_DRIVER_FILES=$nvidia_icd"
  export VK_DRIVER_FILES="$nvidia_icd" VK_ICD_FILENAMES="$nvidia_icd"
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  p="$(probe "${ADAPTER_ARGS[@]}")"
fi
if ! grep -q '^probe: ' <<<"$p"; then
  say "Still no adapter. Loader diagnostics:"
  VK_LOADER_DEBUG=error,warn,driver probe "${ADAPTER_ARGS[@]}" | tail -40 | tee -a "$LOG" >>"$OUT/adapter.txt"
  exit 3
fi
echo "$p" | tee -a "$LOG" >>"$OUT/adapter.txt"
say "ADAPTER: $(grep -m1 '^probe: ' <<<"$p" | sed 's/^probe: //')"
grep -q '"fallback":true' <<<"$p" && say "!! This is a software (fallback) adapter: its times are not GPU performance."

webgpu_version="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$PACK/node_modules/webgpu/package.json" | head -1)"
export BENCH_HOST="Node $("$NODE" --version), webgpu $webgpu_version (Dawn), bench/device/run.sh"

# --- The suite, family by family.
# Each family gets its share of what is left (so time a family did not use goes to the later ones).
declare -A share=([training]=30 [diffusion]=35 [attention]=25 [random]=10)
families=(${BENCH_FAMILIES:-training diffusion attention random})
for i in "${!families[@]}"; do
  family="${families[$i]}"
  [ -n "${share[$family]:-}" ] || { say "run.sh: unknown family $family"; continue; }
  rest=0
  for f in "${families[@]:$i}"; do rest=$((rest + ${share[$f]:-0})); done
  now=$(date +%s)
  left=$((BUDGET - (now - started)))
  if [ "$left" -lt 20 ]; then
    say "== $family: skipped, the ${BUDGET} s budget is spent"
    continue
  fi
  mine=$((left * share[$family] / rest))
  hard=$((mine + 60))
  cap=$((TOTAL - (now - started) - 15))
  [ "$hard" -gt "$cap" ] && hard=$cap
  if [ "$hard" -lt 20 ]; then
    say "== $family: skipped, the ${TOTAL} s hard end is near"
    continue
  fi
  say "== $family: --time-budget=$mine (hard limit $hard s)"
  timeout -k 10 "$hard" "$NODE" "$PACK/bench-node.mjs" --filter="$family" --time-budget="$mine" \
    --out="$OUT/$family.json" "$@" 2>&1 | tee -a "$LOG"
  say "== $family: exit ${PIPESTATUS[0]} after $(($(date +%s) - now)) s"
done

"$NODE" "$here/merge.mjs" "$OUT" 2>&1 | tee -a "$LOG"
say "== done in $(($(date +%s) - started)) s; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
