// One esbuild script for every bundle: the extension (CJS), the model worker (ESM, so node-llama-cpp is loaded
// with a real import), the webview scripts (browser), and the test/bench bundles that run under plain Node or
// inside the extension host. Usage: node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

function filesUnder(dir, pattern) {
  const abs = join(root, dir);
  let out = [];
  let entries;
  try { entries = readdirSync(abs); } catch { return out; }
  for (const name of entries) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(relative(root, p), pattern));
    else if (pattern.test(name)) out.push(relative(root, p));
  }
  return out;
}

// node-llama-cpp is ESM-only with native prebuilt binaries: it is never bundled, only imported at run time.
const nodeExternals = ['vscode', 'node-llama-cpp', 'mocha', 'playwright-core', '@vscode/test-electron'];
const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', absWorkingDir: root };

const configs = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals },
  // The qed-nano command line: plain Node, no VS Code.
  { ...common, entryPoints: { cli: 'src/prover/cli.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals, banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: { worker: 'src/model/worker.ts' }, outdir: 'dist', outExtension: { '.js': '.mjs' }, platform: 'node', format: 'esm', target: 'node20', external: nodeExternals },
  // Only top-level media/src/*.ts are pages; their modules in subfolders are bundled into them.
  { ...common, entryPoints: filesUnder('media/src', /\.ts$/).filter(f => !relative('media/src', f).includes('/')), outdir: 'dist/webview', outbase: 'media/src', platform: 'browser', format: 'iife', target: 'es2022' },
];
if (!production) {
  const tests = [...filesUnder('test', /\.test\.ts$/), ...filesUnder('test/host/suite', /^index\.ts$/), ...filesUnder('test/host', /^electron\.ts$/), ...filesUnder('bench', /\.ts$/), ...filesUnder('test/fixtures', /\.ts$/)];
  configs.push({ ...common, entryPoints: tests, outdir: 'out', outbase: '.', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals });
}

// KaTeX's style sheet and fonts for the webviews (media/katex/, git-ignored, shipped with media/**). Only the woff2
// fonts are copied and referenced: every webview engine VS Code runs on reads woff2, and a url() to a file that is
// not shipped would be a failed request per font face.
function copyKatexAssets() {
  const from = join(root, 'node_modules/katex/dist');
  const to = join(root, 'media/katex');
  mkdirSync(join(to, 'fonts'), { recursive: true });
  for (const f of readdirSync(join(from, 'fonts'))) if (f.endsWith('.woff2')) copyFileSync(join(from, 'fonts', f), join(to, 'fonts', f));
  const css = readFileSync(join(from, 'katex.min.css'), 'utf8')
    .replace(/,\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g, '');
  if (/\.(?:woff|ttf)\)/.test(css)) throw new Error('katex.min.css: a font URL other than woff2 is left after rewriting');
  writeFileSync(join(to, 'katex.min.css'), css);
}
copyKatexAssets();

// A production build (packaging) leaves the test bundles in out/ alone.
if (!watch && !production) rmSync(join(root, 'out'), { recursive: true, force: true });
const live = configs.filter(c => (Array.isArray(c.entryPoints) ? c.entryPoints.length : Object.keys(c.entryPoints).length) > 0);
if (watch) {
  for (const c of live) await (await esbuild.context(c)).watch();
  console.log('[build] watching for changes');
} else {
  const t0 = Date.now();
  await Promise.all(live.map(c => esbuild.build(c)));
  console.log(`[build] ${live.length} bundle groups in ${Date.now() - t0} ms`);
}
