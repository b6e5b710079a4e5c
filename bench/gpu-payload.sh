#!/usr/bin/env bash
# Prepares what bench/gpu-check.sh needs on a GPU machine that cannot reach npm: this machine's Node binary and the
# runtime part of node_modules (node-llama-cpp, its dependencies, the linux-x64 CPU and Vulkan prebuilt binaries,
# mocha), xz-compressed into .device/ (git-ignored), plus Debian's Vulkan/GL loaders in .gl/. CUDA binaries are left
# out: at 540 MB they cannot travel. Run once, then carry .device, .gl, dist and out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .device .gl
xz -7 -T2 -c "$(command -v node)" > .device/node.xz
tar -cf - \
  --exclude='node_modules/@node-llama-cpp/linux-x64-cuda*' --exclude='node_modules/@node-llama-cpp/linux-arm*' \
  --exclude='node_modules/@node-llama-cpp/linux-riscv*' --exclude=node_modules/node-llama-cpp/llama/gitRelease.bundle \
  --exclude=node_modules/typescript --exclude=node_modules/@vscode --exclude=node_modules/@azure \
  --exclude=node_modules/playwright-core --exclude=node_modules/@esbuild --exclude=node_modules/@typescript-eslint \
  --exclude=node_modules/eslint --exclude=node_modules/@typespec --exclude=node_modules/@secretlint \
  --exclude=node_modules/azure-devops-node-api node_modules | xz -7 -T2 > .device/nm.tar.xz
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
# shellcheck disable=SC2086
apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .device .gl
