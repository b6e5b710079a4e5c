// The worker's backend plan (src/model/backends.ts) for every packaged target (scripts/platforms.mjs), and the
// header reader the .vsix checks rely on. Every binary a plan names must be one the target's .vsix carries (as
// node-llama-cpp maps platform + gpu option to a prebuilt package), CUDA excepted: it is downloaded on demand.
import * as assert from 'node:assert/strict';
import { planBackends, backendName, type BackendAttempt } from '../../../src/model/backends';
import { TARGETS, nativeFormat } from '../../../scripts/platforms.mjs';

type Target = keyof typeof TARGETS;
const split = (t: string) => { const [platform, arch] = t.split('-'); return { platform, arch }; };

/** node-llama-cpp's prebuilt package for a platform and gpu option (dist/bindings/utils/compileLLamaCpp.js). */
function prebuiltFor(platform: string, arch: string, binary: BackendAttempt['binary']): string | undefined {
  if (platform === 'darwin') return arch === 'arm64' && binary === 'metal' ? 'mac-arm64-metal' : arch === 'x64' && binary === false ? 'mac-x64' : undefined;
  const os = platform === 'win32' ? 'win' : 'linux';
  if (arch === 'arm64') return `${os}-arm64`; // node-llama-cpp maps every gpu option to the CPU package on arm64
  if (arch !== 'x64') return undefined;
  return binary === false ? `${os}-x64` : binary === 'vulkan' ? `${os}-x64-vulkan` : binary === 'cuda' ? `${os}-x64-cuda` : undefined;
}

const show = (a: BackendAttempt[]) => a.map((x) => `${x.binary === false ? 'cpu' : x.binary}${x.offload ? '' : '(no offload)'}`).join(' → ');

describe('platforms: backend plan per target', () => {
  const expectedAuto: Record<Target, string> = {
    'darwin-arm64': 'metal → metal(no offload)',
    'darwin-x64': 'cpu(no offload)',
    'win32-x64': 'vulkan → cpu(no offload)',
    'win32-arm64': 'cpu(no offload)',
    'linux-x64': 'vulkan → cpu(no offload)',
    'linux-arm64': 'cpu(no offload)',
  };
  for (const target of Object.keys(TARGETS) as Target[]) {
    it(`${target}: auto is ${expectedAuto[target]}; every binary it names is in the .vsix`, () => {
      const { platform, arch } = split(target);
      for (const setting of ['auto', 'cuda', 'vulkan', 'metal', 'off'] as const) {
        const { attempts } = planBackends(setting, { platform, arch, cudaPresent: false });
        assert.ok(attempts.length > 0);
        assert.equal(attempts.at(-1)?.offload, false, `${setting}: the last attempt runs on the CPU`);
        for (const a of attempts) {
          const pkg = prebuiltFor(platform, arch, a.binary);
          assert.ok(pkg && TARGETS[target].packages.includes(pkg), `${target} ${setting}: ${show([a])} needs ${pkg ?? 'no prebuilt at all'}, not in ${TARGETS[target].packages.join(', ')}`);
        }
      }
      assert.equal(show(planBackends('auto', { platform, arch, cudaPresent: false }).attempts), expectedAuto[target]);
    });
  }

  it('x64 Linux and Windows: CUDA first once downloaded, then Vulkan, then the CPU', () => {
    for (const platform of ['linux', 'win32']) {
      assert.equal(show(planBackends('auto', { platform, arch: 'x64', cudaPresent: true }).attempts), 'cuda → vulkan → cpu(no offload)');
      assert.equal(show(planBackends('cuda', { platform, arch: 'x64', cudaPresent: true }).attempts), 'cuda → vulkan → cpu(no offload)');
    }
  });

  it('cuda asked for but not downloaded: Vulkan, with a note naming the command that installs it', () => {
    const { attempts, notes } = planBackends('cuda', { platform: 'linux', arch: 'x64', cudaPresent: false });
    assert.equal(show(attempts), 'vulkan → cpu(no offload)');
    assert.match(notes.join(' '), /Enable CUDA Acceleration/);
  });

  it("off is the CPU everywhere; on Apple silicon through the Metal binary (the only one there) with no layer offloaded", () => {
    for (const target of Object.keys(TARGETS)) {
      const { platform, arch } = split(target);
      const { attempts, notes } = planBackends('off', { platform, arch, cudaPresent: true });
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0].offload, false);
      assert.equal(attempts[0].binary, target === 'darwin-arm64' ? 'metal' : false);
      assert.deepEqual(notes, []);
      assert.equal(backendName(attempts[0].offload, attempts[0].binary), 'cpu');
    }
  });

  it('a backend that is not on the platform is explained', () => {
    assert.match(planBackends('metal', { platform: 'linux', arch: 'x64', cudaPresent: false }).notes.join(' '), /only available on Apple silicon/);
    assert.match(planBackends('vulkan', { platform: 'linux', arch: 'arm64', cudaPresent: false }).notes.join(' '), /not available on linux-arm64/);
    assert.match(planBackends('cuda', { platform: 'darwin', arch: 'arm64', cudaPresent: false }).notes.join(' '), /Metal is used/);
  });

  it('backendName: what loaded, or cpu when nothing was offloaded', () => {
    assert.equal(backendName(true, 'vulkan'), 'vulkan');
    assert.equal(backendName(true, false), 'cpu');
    assert.equal(backendName(false, 'metal'), 'cpu');
  });
});

describe('platforms: native file headers', () => {
  const buf = (n: number) => Buffer.alloc(n);
  it('ELF: e_machine x86-64 and AArch64', () => {
    const b = buf(64); b.writeUInt32BE(0x7f454c46, 0); b[4] = 2; b[5] = 1;
    b.writeUInt16LE(62, 18); assert.deepEqual(nativeFormat(b), { format: 'ELF', bits: 64, archs: ['x86-64'] });
    b.writeUInt16LE(183, 18); assert.deepEqual(nativeFormat(b)?.archs, ['AArch64']);
  });
  it('Mach-O: thin arm64 / x86-64 and a universal file with both', () => {
    const b = buf(64); b.writeUInt32LE(0xfeedfacf, 0);
    b.writeUInt32LE(0x0100000c, 4); assert.deepEqual(nativeFormat(b), { format: 'Mach-O', bits: 64, archs: ['arm64'] });
    b.writeUInt32LE(0x01000007, 4); assert.deepEqual(nativeFormat(b)?.archs, ['x86-64']);
    const fat = buf(64); fat.writeUInt32BE(0xcafebabe, 0); fat.writeUInt32BE(2, 4); fat.writeUInt32BE(0x01000007, 8); fat.writeUInt32BE(0x0100000c, 28);
    assert.deepEqual(nativeFormat(fat), { format: 'Mach-O', bits: 64, universal: true, archs: ['x86-64', 'arm64'] });
  });
  it('PE: machine and PE32+ magic', () => {
    const b = buf(256); b[0] = 0x4d; b[1] = 0x5a; b.writeUInt32LE(0x80, 0x3c); b.writeUInt32LE(0x00004550, 0x80);
    b.writeUInt16LE(0x8664, 0x84); b.writeUInt16LE(0x20b, 0x98); assert.deepEqual(nativeFormat(b), { format: 'PE32+', bits: 64, archs: ['x86-64'] });
    b.writeUInt16LE(0xaa64, 0x84); assert.deepEqual(nativeFormat(b)?.archs, ['ARM64']);
    b.writeUInt16LE(0x10b, 0x98); assert.equal(nativeFormat(b)?.format, 'PE32');
  });
  it('not native: text, a zip, too short', () => {
    assert.equal(nativeFormat(Buffer.from('#!/usr/bin/env node\n')), undefined);
    assert.equal(nativeFormat(Buffer.from('PK\u0003\u0004 rest of a zip file here....')), undefined);
    assert.equal(nativeFormat(buf(3)), undefined);
  });
});
