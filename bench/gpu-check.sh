#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU but no npm access: unpacks a carried Node binary and the project's
# runtime node_modules (prepared by bench/gpu-payload.sh into .device/), then runs the runtime tests with gpu 'auto'
# and the worker-vs-direct benchmark on a random-weight model of QED-Nano's real shape (Qwen3-4B, Q8_0, 4.3 GB).
# Writes everything to $OUT (or test-results/gpu) as log files.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUTDIR=${OUT:-test-results/gpu}; mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu-check.log") 2>&1
t0=$(date +%s); lap() { echo "[gpu-check $(( $(date +%s) - t0 ))s] $*"; }

. bench/gpu-env.sh

# Which backends node-llama-cpp can use here. (A file, not `node -e`: node-llama-cpp tests each binary in a child
# process started with this process's arguments, which an inline script breaks.)
cat > /tmp/gpu-probe.mjs <<'JS'
const { getLlama, getLlamaGpuTypes } = await import(process.cwd() + '/node_modules/node-llama-cpp/dist/index.js');
console.log('gpu types with prebuilt binaries:', JSON.stringify(await getLlamaGpuTypes('supported')));
const llama = await getLlama({ gpu: 'auto', build: 'never', skipDownload: true });
console.log('auto picked:', llama.gpu, 'devices:', JSON.stringify(await llama.getGpuDeviceNames()), 'vram:', JSON.stringify(await llama.getVramState()));
await llama.dispose();
JS
node /tmp/gpu-probe.mjs || lap "backend probe failed"

lap "runtime tests with gpu auto"
QED_TEST_GPU=auto node scripts/run-mocha.cjs out/test/unit/model "$OUTDIR/runtime-tests.json"
cat "$OUTDIR/runtime-tests.json"; echo

lap "full-shape random model (Qwen3-4B shape, Q8_0)"
node out/test/fixtures/gguf.js /tmp/q4b.gguf --shape qwen3-4b
ls -la /tmp/q4b.gguf
lap "model info through the worker, gpu auto, full context"
node out/bench/model-info.js /tmp/q4b.gguf --gpu auto --threads 4 --tokens 256
lap "bench: worker vs direct, gpu auto, full shape"
node out/bench/runtime-overhead.js --model /tmp/q4b.gguf --gpu auto --threads 4 --tokens 256 --rounds 3 --context 4096
lap "bench: same model, CPU only (16 threads), for comparison"
node out/bench/runtime-overhead.js --model /tmp/q4b.gguf --gpu off --threads 16 --tokens 32 --rounds 1 --context 4096
lap done
