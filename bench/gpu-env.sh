# Sourced by the GPU scripts (gpu-check.sh, gpu-fit.sh) on a machine with an NVIDIA GPU but no npm: installs the
# carried Vulkan/GL loaders (.gl/), unpacks the carried Node binary and runtime node_modules (.device/, made by
# bench/gpu-payload.sh) and puts that Node first on PATH. Expects the caller to define lap().
# Vulkan and GL loaders (Debian packages carried in .gl/); the NVIDIA driver provides the ICD.
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/nodebin
python3 - <<'PY'
import lzma, shutil, tarfile, os
with lzma.open('.device/node.xz') as src, open('/tmp/nodebin/node', 'wb') as dst: shutil.copyfileobj(src, dst)
os.chmod('/tmp/nodebin/node', 0o755)
tarfile.open('.device/nm.tar.xz').extractall('.')
PY
export PATH=/tmp/nodebin:$PATH
lap "node $(node -v); $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"

