// What a platform's .vsix must hold, read from the file itself: the extension's entry points, exactly the
// target's @node-llama-cpp prebuilt packages at node-llama-cpp's version, every native file of the target's format
// and architecture (from its header: ELF e_machine, Mach-O cputype, PE machine and PE32+ magic), nothing of another
// platform or of CUDA, the target in extension.vsixmanifest, and no warning from `vsce package` (its output, and
// from the file itself the one warning a package's content decides: too many files). Used by
// scripts/package-vsix.mjs after packaging, which `npm test` runs for every target.
import { statSync } from 'node:fs';
import { TARGETS, NATIVE_NAME, nativeFormat, zipEntries } from './platforms.mjs';

// @vscode/vsce (out/package.js, printAndValidatePackagedFiles) warns "you should bundle your extension" when a
// package has more than this many files, or more than this many files named *.js (.mjs and .cjs do not count).
export const VSCE_WARN_FILES = 5000;
export const VSCE_WARN_JS_FILES = 100;

/** The warnings in `vsce package` output (vsce prints each as a line starting " WARNING ", coloured on a terminal). */
export function vsceWarnings(output) {
  const lines = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '').split('\n');
  return lines.filter((l) => /^\s*WARNING\b/.test(l) || /^::warning/.test(l)).map((l) => l.trim());
}

const FORBIDDEN = [
  [/cuda/i, 'CUDA (downloaded on demand, never packaged)'],
  [/gitRelease\.bundle$/, "llama.cpp's source bundle"],
  [/^extension\/(src|test|out|bench|scripts)\//, 'sources, tests or build scripts'],
  [/\.map$/, 'a source map'],
  [/^extension\/node_modules\/(typescript|esbuild|eslint|mocha|@vscode\/vsce|playwright-core)\//, 'a development tool'],
];

/**
 * Checks one .vsix for a target; returns the findings and a list of problems (empty when it is right).
 * `vsceOutput`: what `vsce package` printed for it (stdout and stderr); each warning in it is a problem.
 */
export function checkVsix(file, target, version, vsceOutput = '') {
  const spec = TARGETS[target];
  const problems = [];
  const { entries, read } = zipEntries(file);
  const files = entries.filter((e) => !e.name.endsWith('/'));
  const names = new Set(files.map((e) => e.name));
  // node-llama-cpp is bundled (dist/node-llama-cpp.mjs, dist/testBindingBinary.mjs); it still reads its package.json
  // and llama/binariesGithubRelease.json from node_modules (scripts/build.mjs).
  const required = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/worker.mjs',
    'extension/dist/node-llama-cpp.mjs', 'extension/dist/testBindingBinary.mjs', 'extension/dist/node-llama-cpp.mjs.licenses.txt',
    'extension/node_modules/node-llama-cpp/package.json', 'extension/node_modules/node-llama-cpp/llama/binariesGithubRelease.json',
    'extension/extension.vsixmanifest', 'extension/media/icon.png'];
  for (const p of spec.packages) {
    const base = `extension/node_modules/@node-llama-cpp/${p}`;
    required.push(`${base}/package.json`, `${base}/dist/index.js`, `${base}/bins/${p}/llama-addon.node`, `${base}/bins/${p}/_nlcBuildMetadata.json`);
  }
  for (const n of required) if (!names.has(n) && !(n === 'extension/extension.vsixmanifest' && names.has('extension.vsixmanifest'))) problems.push(`missing: ${n}`);

  const prebuilts = new Set();
  for (const e of files) {
    const m = e.name.match(/^extension\/node_modules\/@node-llama-cpp\/([^/]+)\//);
    if (m) prebuilts.add(m[1]);
    for (const [re, what] of FORBIDDEN) if (re.test(e.name)) problems.push(`${what}: ${e.name}`);
  }
  for (const p of prebuilts) if (!spec.packages.includes(p)) problems.push(`another platform's prebuilt package: @node-llama-cpp/${p}`);
  for (const p of spec.packages) {
    const pj = files.find((e) => e.name === `extension/node_modules/@node-llama-cpp/${p}/package.json`);
    if (pj) {
      const v = JSON.parse(read(pj).toString('utf8')).version;
      if (v !== version) problems.push(`@node-llama-cpp/${p} is ${v}, node-llama-cpp is ${version}: node-llama-cpp would not load it`);
    }
  }

  const native = [];
  for (const e of files) {
    const head = read(e).subarray(0, 4096);
    const fmt = nativeFormat(head);
    if (!fmt) {
      if (NATIVE_NAME.test(e.name)) problems.push(`named like a native file but no ELF/Mach-O/PE header: ${e.name}`);
      continue;
    }
    native.push({ name: e.name, size: e.size, ...fmt });
    if (fmt.format !== spec.format || fmt.archs.some((a) => a !== spec.arch)) {
      problems.push(`${e.name}: ${fmt.format} ${fmt.archs.join('+')}, not ${spec.format} ${spec.arch}`);
    }
  }
  if (!native.some((n) => n.name.endsWith('/llama-addon.node'))) problems.push('no llama-addon.node at all');

  let manifestTarget;
  const vsixManifest = files.find((e) => e.name === 'extension.vsixmanifest');
  if (vsixManifest) manifestTarget = read(vsixManifest).toString('utf8').match(/TargetPlatform="([^"]*)"/)?.[1];
  if (manifestTarget !== target) problems.push(`extension.vsixmanifest TargetPlatform is ${manifestTarget ?? 'missing'}, not ${target}`);
  const pkg = files.find((e) => e.name === 'extension/package.json');
  if (pkg) {
    const m = JSON.parse(read(pkg).toString('utf8'));
    if (m.main !== './dist/extension.js') problems.push(`packaged package.json main is ${m.main}`);
  }

  const jsFiles = files.filter((e) => /\.js$/i.test(e.name)).length;
  const packaged = files.filter((e) => e.name.startsWith('extension/')).length;
  if (packaged > VSCE_WARN_FILES || jsFiles > VSCE_WARN_JS_FILES) {
    problems.push(`${packaged} files, ${jsFiles} of them .js: vsce warns above ${VSCE_WARN_FILES} files or ${VSCE_WARN_JS_FILES} .js files (bundle them)`);
  }
  const warnings = vsceWarnings(vsceOutput);
  for (const w of warnings) problems.push(`vsce warning: ${w}`);

  const formats = [...new Set(native.map((n) => `${n.format} ${n.archs.join('+')}`))];
  const nativeBytes = native.reduce((s, n) => s + n.size, 0);
  return { target, file, bytes: statSync(file).size, fileCount: files.length, jsFiles, unpacked: files.reduce((s, e) => s + e.size, 0),
    native, nativeBytes, formats, prebuilts: [...prebuilts], manifestTarget, vsceWarnings: warnings, problems };
}

const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`;

export function formatReport(r) {
  const lines = [`[check] ${r.target}: ${mb(r.bytes)} .vsix, ${r.fileCount} files, ${r.jsFiles} .js (${mb(r.unpacked)} unpacked); TargetPlatform ${r.manifestTarget}; ${r.vsceWarnings.length} vsce warnings`,
    `[check] ${r.target}: prebuilt packages ${r.prebuilts.map((p) => `@node-llama-cpp/${p}`).join(', ')}`,
    `[check] ${r.target}: ${r.native.length} native files (${mb(r.nativeBytes)}), all ${r.formats.join(', ')}`];
  for (const p of r.problems) lines.push(`[check] ${r.target}: PROBLEM ${p}`);
  if (!r.problems.length) lines.push(`[check] ${r.target}: ok`);
  return lines.join('\n');
}
