// `npm run package`: production build, then one `vsce package --target T` per platform into test-results/.
// usage: node scripts/package-vsix.mjs [--target T|all] [--out FILE] [--out-dir DIR] [--skip-build] [--report FILE]
//   T: darwin-arm64 darwin-x64 win32-x64 win32-arm64 linux-x64 linux-arm64 (default: this machine's); --out only
//   with one target. --report writes the checks' counts (one test per target) and findings as JSON (npm test).
// Each target is packaged from its own staging folder (test-results/stage/T): the files the extension runs
// (copies; node-llama-cpp's JavaScript is bundled into dist/worker.mjs), the few files node-llama-cpp still reads,
// and the target's @node-llama-cpp prebuilt packages at the lockfile's node-llama-cpp version, unpacked from registry
// tarballs that are verified against the lockfile's and the registry's SHA-512 integrity and cached outside the
// repository (scripts/platforms.mjs). npm will not install another OS's optional dependencies on this machine, so
// they cannot come from node_modules. CUDA never travels: it is downloaded on demand (Enable CUDA Acceleration).
// Every .vsix is then checked (scripts/check-vsix.mjs): native files' formats from their headers, nothing of another
// platform, the manifest's target, and no warning from vsce.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { TARGETS, NODE_LLAMA_CPP_FILES, hostTarget, fetchPrebuilt, lockedPrebuilts } from './platforms.mjs';
import { checkVsix, formatReport } from './check-vsix.mjs';
import { renderIcon } from './icon.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const targetArg = opt('target', hostTarget());
if (!targetArg) { console.error(`[package] this machine (${process.platform}-${process.arch}) has no target; pass --target T or --target all`); process.exit(1); }
const targets = targetArg === 'all' ? Object.keys(TARGETS) : targetArg.split(',');
for (const t of targets) if (!(t in TARGETS)) { console.error(`[package] unknown target ${t}: one of ${Object.keys(TARGETS).join(', ')} or all`); process.exit(1); }
if (opt('out') && targets.length !== 1) { console.error('[package] --out names one file: use it with one target'); process.exit(1); }
const outDir = resolve(opt('out-dir', join(root, 'test-results')));

function step(title, cmd, cmdArgs, cwd = root) {
  console.log(`[package] ${title}: ${[relative(root, cmd) || cmd, ...cmdArgs].join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd, stdio: 'inherit' });
  if (r.status !== 0) { console.error(`[package] ${title} failed (${r.status ?? r.signal})`); process.exit(1); }
}

/**
 * Hard-links (or, with `copy` or across file systems, copies) a file or folder; `skip` leaves out entries by name.
 * The extension's own files are copied: a dev build rewrites dist/ in place, which would change a hard link too.
 */
function linkTree(from, to, skip = () => false, copy = false) {
  const st = lstatSync(from);
  if (st.isSymbolicLink()) return; // npm packages do not ship links; a link could point outside the package
  if (st.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) if (!skip(name, from)) linkTree(join(from, name), join(to, name), skip, copy);
    return;
  }
  mkdirSync(dirname(to), { recursive: true });
  if (copy) { copyFileSync(from, to); return; }
  try { linkSync(from, to); } catch { copyFileSync(from, to); }
}

// node-llama-cpp's staged package.json has no `dependencies`: they are inside its bundle, and vsce's `npm list` would
// fail on them missing. Its optionalDependencies (the prebuilt packages) stay: npm accepts absent ones.
function stageNodeLlamaCpp(stage) {
  const from = join(root, 'node_modules', 'node-llama-cpp');
  const to = join(stage, 'node_modules', 'node-llama-cpp');
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  delete pkg.dependencies;
  mkdirSync(join(to, 'llama'), { recursive: true });
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const f of NODE_LLAMA_CPP_FILES) if (f !== 'package.json') linkTree(join(from, f), join(to, f));
}

// vsce would run the manifest's vscode:prepublish (the production build) in every staging folder: build once here
// and stage a manifest without it.
if (!args.includes('--skip-build')) step('production build', process.execPath, [join(root, 'scripts/build.mjs'), '--production']);
const iconBytes = await renderIcon(root);
console.log(`[package] media/icon.png: ${iconBytes} bytes, rendered from media/icon.svg`);

const { version } = lockedPrebuilts(root);
const runtimeDependencies = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
if (runtimeDependencies.join() !== 'node-llama-cpp') {
  console.error(`[package] dependencies are ${runtimeDependencies.join(', ')}: only node-llama-cpp is staged (bundled into the worker); bundle any other one too`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
delete manifest.scripts['vscode:prepublish'];
// Top-level files and folders of the extension (what .vscodeignore lets through; the rest is not staged at all).
const TOP = ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore', 'dist', 'media', 'models', 'examples'];
const reports = [];
let failed = false;
for (const target of targets) {
  const stage = join(root, 'test-results', 'stage', target);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const name of TOP) if (existsSync(join(root, name))) linkTree(join(root, name), join(stage, name), (n, from) => n === 'src' && from === join(root, 'media'), true);
  stageNodeLlamaCpp(stage);
  for (const name of TARGETS[target].packages) {
    const { file, bytes, fromCache } = await fetchPrebuilt(root, name);
    console.log(`[package] ${target}: @node-llama-cpp/${name}@${version} ${(bytes / 1048576).toFixed(1)} MiB, integrity verified (${fromCache ? 'cache' : 'registry'})`);
    const dest = join(stage, 'node_modules', '@node-llama-cpp', name);
    mkdirSync(dest, { recursive: true });
    const tar = spawnSync('tar', ['-xzf', file, '-C', dest, '--strip-components=1', '--no-same-owner'], { stdio: 'inherit' });
    if (tar.status !== 0) { console.error(`[package] could not unpack ${file}`); process.exit(1); }
  }
  const out = resolve(opt('out', join(outDir, `qed-nano-${target}.vsix`)));
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  // vsce's output is captured for the check (a warning fails it), and printed.
  const vsceArgs = ['package', '--target', target, '--out', out];
  console.log(`[package] vsce package ${target}: vsce ${vsceArgs.join(' ')}`);
  const vsce = spawnSync(join(root, 'node_modules/.bin/vsce'), vsceArgs, { cwd: stage, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(vsce.stdout);
  process.stderr.write(vsce.stderr);
  if (vsce.status !== 0) { console.error(`[package] vsce package ${target} failed (${vsce.status ?? vsce.signal})`); process.exit(1); }
  const report = checkVsix(out, target, version, `${vsce.stdout}\n${vsce.stderr}`);
  reports.push(report);
  console.log(formatReport(report));
  if (report.problems.length) failed = true;
  console.log(`[package] ${relative(process.cwd(), out)}: ${(statSync(out).size / 1048576).toFixed(1)} MiB`);
}
if (reports.length > 1) {
  console.log('\n[package] targets:');
  for (const r of reports) console.log(`  ${r.target.padEnd(13)} ${(r.bytes / 1048576).toFixed(1).padStart(6)} MiB  ${String(r.fileCount).padStart(4)} files ${String(r.jsFiles).padStart(3)} .js  ${r.native.length} native files (${r.formats.join(', ')})  ${r.vsceWarnings.length} vsce warnings  ${r.problems.length ? `${r.problems.length} PROBLEMS` : 'ok'}`);
}
const reportFile = opt('report');
if (reportFile) {
  const passed = reports.filter((r) => !r.problems.length).length;
  writeFileSync(reportFile, `${JSON.stringify({ passed, failed: reports.length - passed, skipped: 0,
    targets: reports.map(({ native, ...r }) => ({ ...r, native: native.map((n) => `${n.name} ${n.format} ${n.archs.join('+')}`) })) }, null, 2)}\n`);
}
process.exit(failed ? 1 : 0);
