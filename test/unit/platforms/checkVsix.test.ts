// The .vsix check (scripts/check-vsix.mjs) on small hand-made packages: a right one passes, and each kind of wrong
// content is named (another platform's binary, another architecture, another prebuilt package, CUDA, a wrong
// TargetPlatform, a missing addon). The real packages are checked by `npm test`'s platforms step.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VSCE_WARN_JS_FILES, checkVsix } from '../../../scripts/check-vsix.mjs';
import { zip } from './zip';

function elf(machine: number): Buffer {
  const b = Buffer.alloc(64); b.writeUInt32BE(0x7f454c46, 0); b[4] = 2; b[5] = 1; b.writeUInt16LE(machine, 18); return b;
}
function pe(machine: number): Buffer {
  const b = Buffer.alloc(256); b[0] = 0x4d; b[1] = 0x5a; b.writeUInt32LE(0x80, 0x3c); b.writeUInt32LE(0x4550, 0x80);
  b.writeUInt16LE(machine, 0x84); b.writeUInt16LE(0x20b, 0x98); return b;
}

const AARCH64 = 183;
const X86_64 = 62;
const base = (target: string, addon: Buffer): Record<string, Buffer | string> => ({
  'extension.vsixmanifest': `<PackageManifest><Metadata><Identity Id="qed-nano" TargetPlatform="${target}"/></Metadata></PackageManifest>`,
  'extension/package.json': JSON.stringify({ main: './dist/extension.js' }),
  'extension/dist/extension.js': '// bundle',
  'extension/dist/worker.mjs': '// worker',
  'extension/dist/node-llama-cpp.mjs': '// node-llama-cpp bundled',
  'extension/dist/testBindingBinary.mjs': '// its binary test',
  'extension/dist/node-llama-cpp.mjs.licenses.txt': 'licences',
  'extension/media/icon.png': 'png',
  'extension/node_modules/node-llama-cpp/package.json': '{"version":"3.21.1"}',
  'extension/node_modules/node-llama-cpp/llama/binariesGithubRelease.json': '{"release":"v0.4.0"}',
  'extension/node_modules/@node-llama-cpp/linux-arm64/package.json': '{"version":"3.21.1"}',
  'extension/node_modules/@node-llama-cpp/linux-arm64/dist/index.js': '',
  'extension/node_modules/@node-llama-cpp/linux-arm64/bins/linux-arm64/_nlcBuildMetadata.json': '{}',
  'extension/node_modules/@node-llama-cpp/linux-arm64/bins/linux-arm64/llama-addon.node': addon,
});

describe('platforms: the .vsix check', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-vsix-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
  const check = (files: Record<string, Buffer | string>, target = 'linux-arm64', vsceOutput = '') => {
    const f = path.join(dir, `${Math.random().toString(36).slice(2)}.vsix`);
    fs.writeFileSync(f, zip(files));
    return checkVsix(f, target, '3.21.1', vsceOutput);
  };

  it('a right linux-arm64 package passes, its native file read as ELF AArch64', () => {
    const r = check(base('linux-arm64', elf(AARCH64)));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.formats, ['ELF AArch64']);
    assert.equal(r.manifestTarget, 'linux-arm64');
  });

  it('names each wrong thing', () => {
    const wrongArch = check(base('linux-arm64', elf(X86_64)));
    assert.ok(wrongArch.problems.some((p) => /llama-addon\.node: ELF x86-64, not ELF AArch64/.test(p)), wrongArch.problems.join('\n'));
    const windowsBinary = check({ ...base('linux-arm64', elf(AARCH64)), 'extension/node_modules/x/prebuilt.dll': pe(0x8664) });
    assert.ok(windowsBinary.problems.some((p) => /prebuilt\.dll: PE32\+ x86-64/.test(p)), windowsBinary.problems.join('\n'));
    const otherPackage = check({ ...base('linux-arm64', elf(AARCH64)), 'extension/node_modules/@node-llama-cpp/linux-x64/package.json': '{}' });
    assert.ok(otherPackage.problems.some((p) => /another platform's prebuilt package: @node-llama-cpp\/linux-x64$/.test(p)), otherPackage.problems.join('\n'));
    const cuda = check({ ...base('linux-arm64', elf(AARCH64)), 'extension/node_modules/node-llama-cpp/bins/_linux-x64-cuda.moved.txt': 'moved' });
    assert.ok(cuda.problems.some((p) => /^CUDA/.test(p)), cuda.problems.join('\n'));
    const target = check(base('linux-x64', elf(AARCH64)));
    assert.ok(target.problems.some((p) => /TargetPlatform is linux-x64, not linux-arm64/.test(p)), target.problems.join('\n'));
    const notNative = check(base('linux-arm64', Buffer.from('not a binary')));
    assert.ok(notNative.problems.some((p) => /named like a native file but no ELF\/Mach-O\/PE header/.test(p)), notNative.problems.join('\n'));
    const missing = check(base('linux-arm64', elf(AARCH64)), 'darwin-arm64');
    assert.ok(missing.problems.some((p) => /missing: .*mac-arm64-metal\/bins\/mac-arm64-metal\/llama-addon\.node/.test(p)), missing.problems.join('\n'));
  });

  it('a warning from vsce fails the check, and so do more files than vsce accepts without one', () => {
    const quiet = check(base('linux-arm64', elf(AARCH64)), 'linux-arm64', ' INFO  Files included in the VSIX:\n DONE  Packaged: x.vsix (12 files, 1 MB)\n');
    assert.deepEqual(quiet.problems, []);
    assert.deepEqual(quiet.vsceWarnings, []);
    // as vsce prints it on a terminal (chalk's colours) and on GitHub Actions
    const coloured = check(base('linux-arm64', elf(AARCH64)), 'linux-arm64', '\u001b[30;43m WARNING \u001b[39;49m A \'repository\' field is missing\n::warning::LICENSE not found\n');
    assert.equal(coloured.vsceWarnings.length, 2, coloured.vsceWarnings.join('\n'));
    assert.ok(coloured.problems.some((p) => /^vsce warning: WARNING\s+A 'repository' field is missing/.test(p)), coloured.problems.join('\n'));
    assert.ok(coloured.problems.some((p) => /^vsce warning: ::warning::LICENSE not found/.test(p)), coloured.problems.join('\n'));
    const js: Record<string, string> = {};
    for (let i = 0; i <= VSCE_WARN_JS_FILES; i++) js[`extension/node_modules/dep/f${i}.js`] = '';
    const unbundled = check({ ...base('linux-arm64', elf(AARCH64)), ...js });
    assert.ok(unbundled.jsFiles > VSCE_WARN_JS_FILES, String(unbundled.jsFiles));
    assert.ok(unbundled.problems.some((p) => new RegExp(`${unbundled.jsFiles} of them \\.js: vsce warns`).test(p)), unbundled.problems.join('\n'));
    // .mjs files are not counted by vsce
    const mjs: Record<string, string> = {};
    for (let i = 0; i <= VSCE_WARN_JS_FILES; i++) mjs[`extension/dist/f${i}.mjs`] = '';
    assert.deepEqual(check({ ...base('linux-arm64', elf(AARCH64)), ...mjs }).problems, []);
  });
});
