#!/usr/bin/env bash
# The fit check on a GPU: what ModelClient.inspect estimates for QED-Nano's real shape (a random Qwen3-4B, Q8_0,
# 4.3 GB) on the GPU backend, against the GPU memory the loaded model really takes (nvidia-smi before/after).
# Carry: .device .gl dist .gpucheck (bench/gpu-fit.sh --prepare here makes .gpucheck from out/). Logs to $OUT.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${1:-}" = "--prepare" ]; then
  rm -rf .gpucheck && mkdir -p .gpucheck/bench .gpucheck/test/fixtures
  cp out/bench/fit-check.js .gpucheck/bench/ && cp out/test/fixtures/gguf.js .gpucheck/test/fixtures/
  du -sh .gpucheck; exit 0
fi
OUTDIR=${OUT:-test-results/gpu}; mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu-fit.log") 2>&1
t0=$(date +%s); lap() { echo "[gpu-fit $(( $(date +%s) - t0 ))s] $*"; }
. bench/gpu-env.sh
lap "node $(node -v); $(nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv,noheader)"
node .gpucheck/test/fixtures/gguf.js /tmp/q4b.gguf --shape qwen3-4b && ls -la /tmp/q4b.gguf
lap "fit check vs reality, gpu auto"
node .gpucheck/bench/fit-check.js /tmp/q4b.gguf --gpu auto --threads 4 --contexts 4096,32768
lap done
