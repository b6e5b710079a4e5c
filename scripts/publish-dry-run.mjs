// `npm run publish:dry-run`: everything before publishing, without publishing or contacting any marketplace.
//  1. The marketplace manifest fields (icon, repository, bugs, homepage, galleryBanner, publisher, license) and
//     CHANGELOG.md in Keep a Changelog form with the manifest's version.
//  2. All six platform packages (scripts/package-vsix.mjs --target all: the per-target checks included, which fail
//     on any vsce warning), with vsce's output captured: any WARNING fails here too.
//  3. `vsce ls` in every target's staging folder: every file listed must be one the extension ships (the
//     allow-list below), and the list must equal the .vsix's own entries.
//  4. The README as the marketplaces show it (each .vsix's extension/readme.md): every image an https URL (vsce
//     rewrites relative ones against the repository), each naming a file that is in this repository at that path.
//  5. The real Open VSX CLI on every package: `ovsx publish <file> -r <registry> -p <token>` against a loopback
//     registry on 127.0.0.1 (scripts/openvsx-loopback.mjs) that receives the bytes, checks they are the file's and
//     reads the package as Open VSX does; ovsx's output is printed.
// What publishing would then run (not run here): `vsce publish --packagePath <the six files>` and
// `ovsx publish <each file>`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS, zipEntries } from './platforms.mjs';
import { vsceWarnings } from './check-vsix.mjs';
import { ovsxPublish, startLoopbackRegistry } from './openvsx-loopback.mjs';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'test-results', 'publish');
const problems = [];
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// 1. manifest and changelog
for (const key of ['publisher', 'license', 'icon', 'repository', 'bugs', 'homepage', 'galleryBanner', 'displayName', 'description']) {
  if (!manifest[key]) problems.push(`package.json has no ${key}`);
}
if (manifest.icon && !/\.png$/.test(manifest.icon)) problems.push(`the icon must be a PNG (the marketplaces reject SVG): ${manifest.icon}`);
const changelog = existsSync(join(root, 'CHANGELOG.md')) ? readFileSync(join(root, 'CHANGELOG.md'), 'utf8') : '';
if (!/^# Changelog/m.test(changelog) || !/keepachangelog\.com/.test(changelog)) problems.push('CHANGELOG.md is missing or not in Keep a Changelog form');
if (!new RegExp(`^## \\[${manifest.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm').test(changelog)) problems.push(`CHANGELOG.md has no dated section for ${manifest.version}`);

// 2. package every target, capturing vsce's warnings
const pkg = spawnSync(process.execPath, [join(root, 'scripts/package-vsix.mjs'), '--target', 'all', '--out-dir', outDir], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const out = `${pkg.stdout}\n${pkg.stderr}`;
for (const line of out.split('\n')) if (/^\s*\[check\]|^\s{2}\S.*MiB/.test(line)) console.log(line);
if (pkg.status !== 0) problems.push(`packaging failed (exit ${pkg.status}):\n${out.split('\n').filter((l) => /PROBLEM|failed|Error/.test(l)).join('\n')}`);
for (const w of vsceWarnings(out)) problems.push(`vsce warning: ${w}`);
console.log(`[dry-run] vsce package: ${vsceWarnings(out).length} warnings over ${Object.keys(TARGETS).length} targets`);

// 3. vsce ls per target: only files the extension ships, and exactly the .vsix's files
const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/,
  /^dist\/(extension\.js|worker\.mjs|node-llama-cpp\.mjs|node-llama-cpp\.mjs\.licenses\.txt|testBindingBinary\.mjs|webview\/[^/]+\.js)$/,
  /^media\/(?!src\/)/, /^models\/[^/]+$/, /^examples\/[^/]+$/, /^node_modules\/(node-llama-cpp|@node-llama-cpp\/[^/]+)\//];
for (const target of Object.keys(TARGETS)) {
  const stage = join(root, 'test-results', 'stage', target);
  const ls = spawnSync(join(root, 'node_modules/.bin/vsce'), ['ls'], { cwd: stage, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (ls.status !== 0) { problems.push(`${target}: vsce ls failed: ${ls.stderr.trim()}`); continue; }
  const listed = ls.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const unexpected = listed.filter((f) => !ALLOWED.some((re) => re.test(f)));
  if (unexpected.length) problems.push(`${target}: vsce ls lists files the extension does not ship: ${unexpected.slice(0, 10).join(', ')}`);
  const vsix = join(outDir, `qed-nano-${target}.vsix`);
  if (existsSync(vsix)) {
    const packed = zipEntries(vsix).entries.map((e) => e.name).filter((n) => n.startsWith('extension/') && !n.endsWith('/'))
      .map((n) => n.slice('extension/'.length).replace(/^LICENSE\.txt$/, 'LICENSE').replace(/^readme\.md$/, 'README.md').replace(/^changelog\.md$/, 'CHANGELOG.md'));
    const a = new Set(listed);
    const b = new Set(packed.filter((n) => n !== 'extension.vsixmanifest'));
    const onlyLs = [...a].filter((n) => !b.has(n));
    const onlyVsix = [...b].filter((n) => !a.has(n));
    if (onlyLs.length || onlyVsix.length) problems.push(`${target}: vsce ls and the .vsix differ: ls only ${onlyLs.slice(0, 5).join(', ')}; .vsix only ${onlyVsix.slice(0, 5).join(', ')}`);
  }
  console.log(`[dry-run] ${target}: vsce ls lists ${listed.length} files, ${unexpected.length} unexpected`);
}

// 4. the README as the marketplaces show it
const repository = (manifest.repository?.url ?? manifest.repository ?? '').replace(/\.git$/, '');
for (const target of Object.keys(TARGETS)) {
  const vsix = join(outDir, `qed-nano-${target}.vsix`);
  if (!existsSync(vsix)) continue;
  const { entries, read } = zipEntries(vsix);
  const readme = entries.find((e) => e.name === 'extension/readme.md');
  if (!readme) { problems.push(`${target}: the .vsix has no extension/readme.md`); continue; }
  const text = read(readme).toString('utf8');
  const images = [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
  if (!images.length) problems.push(`${target}: the packaged README shows no image`);
  for (const src of images) {
    if (!src.startsWith('https://')) { problems.push(`${target}: README image ${src} is not an https URL`); continue; }
    const m = src.match(new RegExp(`^${repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/raw/HEAD/(.+)$`));
    if (!m) { problems.push(`${target}: README image ${src} is not in the repository ${repository}`); continue; }
    if (!existsSync(join(root, decodeURIComponent(m[1])))) problems.push(`${target}: README image ${src}: ${m[1]} is not in this repository`);
  }
  if (target === Object.keys(TARGETS)[0]) console.log(`[dry-run] README as packaged: ${images.length} images, ${images.join(', ')}`);
}

// 5. ovsx publish of every package to a loopback Open VSX registry
const token = `dry-run-${process.pid}`;
const files = Object.keys(TARGETS).map((t) => join(outDir, `qed-nano-${t}.vsix`)).filter((f) => existsSync(f));
const registry = await startLoopbackRegistry({ token, expected: files });
try {
  for (const file of files) {
    const r = await ovsxPublish(root, file, registry.url, token);
    console.log(`[dry-run] ovsx publish ${file.slice(root.length)} -r ${registry.url}: ${r.output.replace(/\n/g, ' | ')}`);
    const upload = registry.uploads.at(-1);
    if (r.status !== 0) problems.push(`ovsx publish ${file}: exit ${r.status}: ${r.output}`);
    else if (upload?.file !== file) problems.push(`ovsx publish ${file}: the registry did not receive the file's bytes`);
  }
} finally {
  await registry.close();
}

if (problems.length) {
  console.error(`[dry-run] ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`[dry-run] ok: ${manifest.publisher}.${manifest.name} ${manifest.version}, six targets packaged in ${outDir}; no vsce warning; ovsx accepted every package at a loopback registry; nothing was published.`);
