// `npm run package`: production build, then `vsce package --target linux-x64` into test-results/ (or --out FILE).
// vsce packs the production dependency tree (`npm list --production`), so node-llama-cpp and its prebuilt binaries
// travel in the .vsix; .vscodeignore keeps only what runs (linux-x64 CPU + Vulkan binaries, no CUDA, no sources).
// Prints the size and the largest entries, and fails if an entry the extension needs at run time is missing or
// a left-out one slipped in.
// usage: node scripts/package-vsix.mjs [--out FILE] [--target linux-x64] [--skip-build] [--ignore-file FILE]
// Note: scripts/build.mjs empties out/ on every build, the production one included: rebuild (node scripts/build.mjs)
// before running test bundles after packaging.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const target = opt('target', 'linux-x64');
const out = resolve(opt('out', join(root, 'test-results', `qed-nano-${target}.vsix`)));
const ignoreFile = opt('ignore-file'); // default: .vscodeignore

// Entries (inside the .vsix, under extension/) that must be there, and ones that must not.
const REQUIRED = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/worker.mjs',
  'extension/node_modules/node-llama-cpp/package.json',
  'extension/node_modules/node-llama-cpp/dist/index.js',
  `extension/node_modules/@node-llama-cpp/${target}/package.json`,
];
const FORBIDDEN = [/^extension\/node_modules\/@node-llama-cpp\/[^/]*cuda/, /gitRelease\.bundle$/, /^extension\/src\//, /^extension\/test\//, /^extension\/out\//, /\.map$/, /^extension\/node_modules\/(typescript|esbuild|eslint|mocha)\//];

function step(title, cmd, cmdArgs) {
  console.log(`[package] ${title}: ${[relative(root, cmd) || cmd, ...cmdArgs].join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[package] ${title} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
  console.log(`[package] ${title}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The entries of a zip file from its central directory: name, compressed and uncompressed size. */
function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${i} in ${file}`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localHeader = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({ name, size, compressed, method, localHeader });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const read = (entry) => {
    const h = entry.localHeader;
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const data = buf.subarray(start, start + entry.compressed);
    return entry.method === 0 ? data : inflateRawSync(data);
  };
  return { entries, read };
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

// vsce runs the manifest's `vscode:prepublish` script itself (and has no switch to skip it); build here only when
// the manifest has none, so the production build runs exactly once.
const prepublish = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts?.['vscode:prepublish'];
if (!prepublish && !args.includes('--skip-build')) step('production build', process.execPath, [join(root, 'scripts/build.mjs'), '--production']);
else if (prepublish) console.log(`[package] vsce runs the production build (vscode:prepublish: ${prepublish})`);
mkdirSync(dirname(out), { recursive: true });
// --no-rewrite-relative-links: the manifest's repository is not on GitHub/GitLab, so vsce cannot turn README's
// relative links (models/README.md) into absolute ones; the files they point to travel in the package anyway.
step('vsce package', join(root, 'node_modules/.bin/vsce'), ['package', '--target', target, '--out', out, '--no-rewrite-relative-links',
  ...(ignoreFile ? ['--ignoreFile', resolve(ignoreFile)] : [])]);

const { entries, read } = zipEntries(out);
const files = entries.filter((e) => !e.name.endsWith('/'));
const total = files.reduce((s, e) => s + e.size, 0);
console.log(`\n[package] ${relative(process.cwd(), out)}: ${mb(statSync(out).size)} (${files.length} files, ${mb(total)} unpacked)`);

console.log('[package] largest entries (unpacked):');
for (const e of [...files].sort((a, b) => b.size - a.size).slice(0, 15)) {
  console.log(`  ${mb(e.size).padStart(10)}  ${e.name}`);
}
const byPackage = new Map();
for (const e of files) {
  const m = e.name.match(/^extension\/(node_modules\/(?:@[^/]+\/)?[^/]+|[^/]+)/);
  const key = m ? m[1] : e.name;
  byPackage.set(key, (byPackage.get(key) ?? 0) + e.size);
}
console.log('[package] largest top-level folders and packages (unpacked):');
for (const [key, size] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${mb(size).padStart(10)}  ${key}`);

const names = new Set(files.map((e) => e.name));
const missing = REQUIRED.filter((n) => !names.has(n));
const forbidden = files.filter((e) => FORBIDDEN.some((re) => re.test(e.name))).map((e) => e.name);
const manifest = JSON.parse(read(files.find((e) => e.name === 'extension/package.json')).toString('utf8'));
if (missing.length) console.error(`[package] MISSING from the .vsix:\n  ${missing.join('\n  ')}`);
if (forbidden.length) console.error(`[package] should not be in the .vsix (${forbidden.length}):\n  ${forbidden.slice(0, 20).join('\n  ')}`);
if (manifest.main !== './dist/extension.js') console.error(`[package] unexpected main in the packaged package.json: ${manifest.main}`);
if (missing.length || forbidden.length || manifest.main !== './dist/extension.js') process.exit(1);
console.log(`[package] ok: ${manifest.publisher}.${manifest.name} ${manifest.version} for ${target}`);
