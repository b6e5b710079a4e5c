// Which llama.cpp backends the worker tries, in order, for the qedNano.gpu setting on a platform. Pure (no
// node-llama-cpp, no VS Code): the worker follows the plan, and the platform checks test it for every target.
//
// What each platform's .vsix carries (scripts/platforms.mjs) decides what can work there:
//   darwin-arm64: @node-llama-cpp/mac-arm64-metal only. node-llama-cpp has no CPU-only prebuilt for Apple silicon,
//                 so "off" loads the Metal binary and offloads no layer.
//   darwin-x64:   @node-llama-cpp/mac-x64 (CPU).
//   win32-x64, linux-x64: CPU + Vulkan packaged; CUDA once downloaded (Enable CUDA Acceleration).
//   win32-arm64, linux-arm64: CPU.
import type { GpuChoice } from './protocol';

/** One attempt: the node-llama-cpp binary to load (its `gpu` option) and whether layers go to the GPU. */
export interface BackendAttempt {
  binary: 'metal' | 'cuda' | 'vulkan' | false;
  offload: boolean;
}

export interface BackendPlatform {
  platform: string;
  arch: string;
  /** Whether the CUDA prebuilt packages are present (downloaded into global storage, or installed beside node-llama-cpp). */
  cudaPresent: boolean;
}

const CPU: BackendAttempt = { binary: false, offload: false };
const gpu = (binary: 'metal' | 'cuda' | 'vulkan'): BackendAttempt => ({ binary, offload: true });

/**
 * The attempts, best first, the last one always able to run on the CPU. `notes` says why a requested backend is
 * not in the plan (shown as the fallback reason when the CPU or another backend is used instead).
 */
export function planBackends(setting: GpuChoice, p: BackendPlatform): { attempts: BackendAttempt[]; notes: string[] } {
  const notes: string[] = [];
  const where = `${p.platform}-${p.arch}`;
  if (p.platform === 'darwin' && p.arch === 'arm64') {
    if (setting === 'off') return { attempts: [{ binary: 'metal', offload: false }], notes };
    if (setting === 'cuda' || setting === 'vulkan') notes.push(`${setting} is not available on ${where}; Metal is used.`);
    return { attempts: [gpu('metal'), { binary: 'metal', offload: false }], notes };
  }
  const x64GpuPlatform = p.arch === 'x64' && (p.platform === 'linux' || p.platform === 'win32');
  if (setting === 'off') return { attempts: [CPU], notes };
  if (!x64GpuPlatform) {
    if (setting !== 'auto') notes.push(`${setting} is not available on ${where}; the CPU is used.`);
    return { attempts: [CPU], notes };
  }
  if (setting === 'metal') {
    notes.push(`Metal is only available on Apple silicon; on ${where} Vulkan is tried, then the CPU.`);
    return { attempts: [gpu('vulkan'), CPU], notes };
  }
  if (setting === 'vulkan') return { attempts: [gpu('vulkan'), CPU], notes };
  if (setting === 'cuda' && !p.cudaPresent) {
    notes.push('CUDA is not installed for QED-Nano: run "QED-Nano: Enable CUDA Acceleration". Vulkan is tried, then the CPU.');
    return { attempts: [gpu('vulkan'), CPU], notes };
  }
  // auto or cuda: CUDA when its binaries are present, then Vulkan, then the CPU.
  return { attempts: [...(p.cudaPresent ? [gpu('cuda')] : []), gpu('vulkan'), CPU], notes };
}

/** What the model info shows as the backend of an attempt that loaded with or without offloading (`loadedGpu` is node-llama-cpp's llama.gpu). */
export function backendName(offload: boolean, loadedGpu: string | false): 'cuda' | 'vulkan' | 'metal' | 'cpu' {
  if (!offload || loadedGpu === false) return 'cpu';
  return loadedGpu as 'cuda' | 'vulkan' | 'metal';
}
