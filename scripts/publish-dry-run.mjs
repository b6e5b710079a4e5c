// `npm run publish:dry-run`: everything before publishing, without publishing or contacting any marketplace.
//  1. The marketplace manifest fields (icon, repository, bugs, homepage, galleryBanner, publisher, license) and
//     CHANGELOG.md in Keep a Changelog form with the manifest's version.
//  2. All six platform packages (scripts/package-vsix.mjs --target all: the per-target checks included), with
//     vsce's output captured: every WARNING is listed; one is known and not fixed (below), any other fails.
//  3. `vsce ls` in every target's staging folder: every file listed must be one the extension ships (the
//     allow-list below), and the list must equal the .vsix's own entries.
// What publishing would then run (not run here): `vsce publish --packagePath <the six files>` and
// `ovsx publish --packagePath <the six files>`. ovsx 1.4.0 has no offline validation (its `verify` and `publish`
// talk to open-vsx.org), so it is not part of the dry run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS, zipEntries } from './platforms.mjs';

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
// Known and not fixed: vsce warns when a package has more than 100 .js files. node-llama-cpp is imported at run
// time with its ~850 ES modules (it locates its binaries relative to its own files, so it is not bundled).
const KNOWN = [/This extension consists of \d+ files, out of which \d+ are JavaScript files/];
const pkg = spawnSync(process.execPath, [join(root, 'scripts/package-vsix.mjs'), '--target', 'all', '--out-dir', outDir], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const out = `${pkg.stdout}\n${pkg.stderr}`;
for (const line of out.split('\n')) if (/^\s*\[check\]|^\s{2}\S.*MiB/.test(line)) console.log(line);
if (pkg.status !== 0) problems.push(`packaging failed (exit ${pkg.status}):\n${out.split('\n').filter((l) => /PROBLEM|failed|Error/.test(l)).join('\n')}`);
const warnings = out.split('\n').filter((l) => /\bWARNING\b/.test(l)).map((l) => l.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '').trim());
for (const w of warnings) {
  if (KNOWN.some((re) => re.test(w))) console.log(`[dry-run] KNOWN vsce warning (not fixed): ${w.slice(0, 160)}…`);
  else problems.push(`vsce warning: ${w}`);
}

// 3. vsce ls per target: only files the extension ships, and exactly the .vsix's files
const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^dist\/(extension\.js|worker\.mjs|webview\/[^/]+\.js)$/,
  /^media\/(?!src\/)/, /^models\/[^/]+$/, /^examples\/[^/]+$/, /^node_modules\//];
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

if (problems.length) {
  console.error(`[dry-run] ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`[dry-run] ok: ${manifest.publisher}.${manifest.name} ${manifest.version}, six targets packaged in ${outDir}; nothing was published.`);
