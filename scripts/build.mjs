// One esbuild script for every bundle: the extension (CJS), the model worker (ESM, so node-llama-cpp is loaded
// with a real import), the webview scripts (browser), and the test/bench bundles that run under plain Node or
// inside the extension host. Usage: node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

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

const nodeExternals = ['vscode', 'node-llama-cpp', 'mocha', 'playwright-core', '@vscode/test-electron'];
const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', absWorkingDir: root };

// node-llama-cpp and its JavaScript dependencies are bundled (unbundled they are ~1,400 files, ~850 of them .js, in
// the .vsix) into dist/node-llama-cpp.mjs, which the worker imports at run time as before (lazily, after registering
// its CUDA resolve hook). A separate file rather than inside worker.mjs: node-llama-cpp has top-level awaits in
// import cycles, which esbuild's lazily initialised modules (what a dynamic import() of a bundled module becomes)
// deadlock on; as an entry point of its own its modules run in plain ES module order. What stays files:
//  - the prebuilt binaries, @node-llama-cpp/<platform> (native files + a small index.js): node-llama-cpp imports
//    them by name, and the worker's resolve hook answers the CUDA ones from global storage (src/model/cuda.ts);
//  - node-llama-cpp's package.json (its version, which the prebuilt packages must match) and llama/*.json, which it
//    reads from paths it derives from its modules' import.meta.url. Each of its modules therefore keeps the URL of
//    its original file (rewritten relative to the bundle), so those paths land in node_modules/node-llama-cpp as before;
//  - testBindingBinary: node-llama-cpp tests a binary in a child process before loading it (a GPU binary that crashes
//    must not take the worker down) by forking its own module file, and skips the test when that file is not its
//    own. It is built on its own into dist/testBindingBinary.mjs, and the copy inside the bundle is told it lives there.
const NODE_LLAMA_CPP_DIST = join(root, 'node_modules/node-llama-cpp/dist');
const bindingTestModule = join(NODE_LLAMA_CPP_DIST, 'bindings/utils/testBindingBinary.js');
const bindingTestBundle = join(root, 'dist/testBindingBinary.mjs');

/** esbuild plugin for a bundle in dist/: node-llama-cpp's modules see import.meta.url as their own file's URL, not the bundle's. */
function originalModuleUrls() {
  const outDir = join(root, 'dist');
  const moduleUrl = (file) => (file === bindingTestModule ? bindingTestBundle : file);
  return {
    name: 'original-module-urls',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]node-llama-cpp[\\/]dist[\\/].*\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const rel = relative(outDir, moduleUrl(args.path)).split(sep).join('/');
        return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** esbuild plugin for the worker: its import('node-llama-cpp') loads the bundle beside it. */
const nodeLlamaCppBeside = {
  name: 'node-llama-cpp-beside',
  setup(build) { build.onResolve({ filter: /^node-llama-cpp$/ }, () => ({ path: './node-llama-cpp.mjs', external: true })); },
};

/**
 * esbuild plugin: writes the licences of the npm packages inside a bundle (name, version, licence and its text) to
 * OUT.licenses.txt beside it, since the packages' own LICENSE files no longer travel in node_modules.
 */
function bundledLicenses(outFile) {
  return {
    name: 'bundled-licenses',
    setup(build) {
      build.initialOptions.metafile = true;
      build.onEnd((result) => {
        if (!result.metafile) return;
        const dirs = new Set();
        for (const input of Object.keys(result.metafile.inputs)) {
          const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
          if (m) dirs.add(m[1]);
        }
        const sections = [...dirs].sort().map((dir) => {
          const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
          const file = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
          return `${pkg.name}@${pkg.version} (${pkg.license ?? 'see its licence'})\n\n${file ? readFileSync(join(root, dir, file), 'utf8').trim() : `no licence file; package.json says: ${pkg.license}`}`;
        });
        writeFileSync(join(root, outFile), `The npm packages bundled into ${outFile.split('/').pop().replace('.licenses.txt', '')}, with their licences.\n\n${sections.join(`\n\n${'-'.repeat(78)}\n\n`)}\n`);
      });
    },
  };
}

const nodeLlamaCppBundle = {
  ...common, outdir: 'dist', platform: 'node', format: 'esm', target: 'node20', outExtension: { '.js': '.mjs' },
  // CommonJS dependencies inside an ES module bundle: their require() of Node built-ins needs a real require.
  banner: { js: "import { createRequire as __qedCreateRequire } from 'node:module'; const require = __qedCreateRequire(import.meta.url);" },
  // The prebuilt binaries' packages; Electron (only imported when running inside it); TypeScript (an optional peer,
  // types only); @reflink/reflink (native; ipull tries it in a try/catch to clone local files, a download path the
  // worker never takes).
  external: ['@node-llama-cpp/*', 'electron', 'typescript', '@reflink/reflink'],
  plugins: [originalModuleUrls()],
};

const configs = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals },
  // The qed-nano command line: plain Node, no VS Code.
  { ...common, entryPoints: { cli: 'src/prover/cli.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals, banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: { worker: 'src/model/worker.ts' }, outdir: 'dist', outExtension: { '.js': '.mjs' }, platform: 'node', format: 'esm', target: 'node20', external: nodeExternals, plugins: [nodeLlamaCppBeside] },
  { ...nodeLlamaCppBundle, entryPoints: { 'node-llama-cpp': join(NODE_LLAMA_CPP_DIST, 'index.js') },
    plugins: [...nodeLlamaCppBundle.plugins, bundledLicenses('dist/node-llama-cpp.mjs.licenses.txt')] },
  { ...nodeLlamaCppBundle, entryPoints: { testBindingBinary: bindingTestModule } },
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
