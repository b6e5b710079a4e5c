// A loopback Open VSX registry (127.0.0.1) for running the real `ovsx publish` without publishing anything: ovsx
// has no offline validation, but takes the registry's URL (-r). It answers the three requests ovsx 1.4.0 makes for
// `ovsx publish <file.vsix> -r URL -p TOKEN` (node_modules/ovsx/lib/publish.js, registry.js):
//   GET  /api/version                 the registry's version (>= 1.3.0: the token travels as a Bearer header only,
//                                     and ovsx asks for the size limit) and default size limit
//   GET  /api/-/size-limit?namespace=&extension=   { maxSize } for that extension
//   POST /api/-/publish               the .vsix bytes; answers the published extension's JSON, or { error } as Open
//                                     VSX does when it refuses a package
// Each upload must be byte for byte one of the expected files, and is read as Open VSX reads a package: the
// extension/package.json and extension.vsixmanifest inside it, the namespace (publisher) and name, a semantic
// version, a target platform Open VSX knows, a licence (open-vsx.org refuses extensions without one), the gallery
// banner's colour. Nothing leaves the machine.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { zipEntries } from './platforms.mjs';

/** Open VSX's target platforms. */
export const OPENVSX_TARGETS = ['win32-x64', 'win32-ia32', 'win32-arm64', 'linux-x64', 'linux-arm64', 'linux-armhf',
  'alpine-x64', 'alpine-arm64', 'darwin-x64', 'darwin-arm64', 'web', 'universal'];
const NAME = /^[\w\-+$~]+$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const REGISTRY_VERSION = '1.3.0';
const MAX_SIZE = 512 * 1024 * 1024;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** What Open VSX would say about a package: the extension's JSON, or the reason it refuses it. */
export function readPackage(bytes) {
  let zip;
  try { zip = zipEntries(bytes); } catch (err) { return { error: `The uploaded file is not a zip archive (${err.message}).` }; }
  const entry = (name) => zip.entries.find((e) => e.name === name);
  const pj = entry('extension/package.json');
  const vm = entry('extension.vsixmanifest');
  if (!pj || !vm) return { error: 'The package has no extension/package.json or extension.vsixmanifest: it is not a VS Code extension package.' };
  let manifest;
  try { manifest = JSON.parse(zip.read(pj).toString('utf8')); } catch (err) { return { error: `extension/package.json is not JSON (${err.message}).` }; }
  const targetPlatform = zip.read(vm).toString('utf8').match(/TargetPlatform="([^"]*)"/)?.[1] ?? 'universal';
  const problems = [];
  if (!manifest.publisher || !NAME.test(manifest.publisher)) problems.push(`Invalid namespace name: ${manifest.publisher}`);
  if (!manifest.name || !NAME.test(manifest.name)) problems.push(`Invalid extension name: ${manifest.name}`);
  if (!SEMVER.test(manifest.version ?? '')) problems.push(`The version string '${manifest.version}' does not follow semantic versioning.`);
  if (!OPENVSX_TARGETS.includes(targetPlatform)) problems.push(`Unsupported target platform '${targetPlatform}'.`);
  if (!manifest.engines?.vscode) problems.push("The package.json has no 'engines.vscode'.");
  const licenseFile = zip.entries.some((e) => /^extension\/licen[cs]e(\.(md|txt))?$/i.test(e.name));
  if (!manifest.license && !licenseFile) problems.push('This extension cannot be accepted because it has no license.');
  const color = manifest.galleryBanner?.color;
  if (color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(color)) problems.push(`Invalid gallery banner color: ${color}`);
  const theme = manifest.galleryBanner?.theme;
  if (theme !== undefined && !['light', 'dark'].includes(theme)) problems.push(`Invalid gallery banner theme: ${theme}`);
  if (problems.length) return { error: problems.join('\n') };
  return {
    namespace: manifest.publisher, name: manifest.name, version: manifest.version, targetPlatform,
    displayName: manifest.displayName, description: manifest.description, license: manifest.license,
    files: zip.entries.filter((e) => !e.name.endsWith('/')).length,
  };
}

/**
 * Starts the registry on 127.0.0.1. `expected`: the .vsix files an upload must equal. Resolves with its `url`,
 * the `uploads` it received ({ file: the expected file it equals or undefined, bytes, answer }), and `close()`.
 */
export async function startLoopbackRegistry({ token, expected }) {
  const known = new Map(expected.map((file) => [sha256(readFileSync(file)), file]));
  const uploads = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const send = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
    const authorised = req.headers.authorization === `Bearer ${token}`;
    if (req.method === 'GET' && url.pathname === '/api/version') { send(200, { version: REGISTRY_VERSION, maxExtensionSize: MAX_SIZE }); return; }
    if (req.method === 'GET' && url.pathname === '/api/-/size-limit') {
      if (!authorised) { send(403, { error: 'Invalid access token.' }); return; }
      send(200, { namespace: url.searchParams.get('namespace'), extension: url.searchParams.get('extension'), maxSize: MAX_SIZE });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/-/publish') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const file = known.get(sha256(bytes));
        let answer;
        if (!authorised) answer = { error: 'Invalid access token.' };
        else if (!file) answer = { error: `The upload (${bytes.length} bytes) is none of the packages this registry expects.` };
        else answer = readPackage(bytes);
        uploads.push({ file, bytes: bytes.length, answer });
        send(answer.error ? (authorised ? 400 : 403) : 201, answer);
      });
      return;
    }
    send(404, { error: `Not found: ${req.method} ${url.pathname}` });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, uploads, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * Runs the real ovsx CLI (node_modules/.bin/ovsx) to publish `file` to the registry at `url`, asynchronously (the
 * loopback registry answers from this process). Resolves with its exit status and output.
 */
export function ovsxPublish(root, file, url, token) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules/.bin/ovsx'), ['publish', file, '-r', url, '-p', token], {
      cwd: root, env: { ...process.env, OVSX_PAT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output: output.trim() }));
  });
}
