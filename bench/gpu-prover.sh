#!/usr/bin/env bash
# The prover's overhead on a GPU machine, full Qwen3-4B shape: unpacks the carried Node and node_modules exactly as
# bench/gpu-check.sh does, then runs bench/prover-overhead on a random-weight Q8_0 model of QED-Nano's real shape.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUTDIR=${OUT:-test-results/gpu}; mkdir -p "$OUTDIR"
sed -n '/^# Vulkan and GL loaders/,/^export PATH/p' bench/gpu-check.sh > /tmp/gpu-unpack.sh
# shellcheck disable=SC1091
source /tmp/gpu-unpack.sh
[ -f /tmp/q4b.gguf ] || node out/test/fixtures/gguf.js /tmp/q4b.gguf --shape qwen3-4b | tail -1
node out/bench/prover-overhead.js --model /tmp/q4b.gguf --gpu auto --threads 4 --tokens 256 --rounds 5 2>&1 | tee "$OUTDIR/prover-overhead-gpu.log"
