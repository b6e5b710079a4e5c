// The real Open VSX CLI (ovsx publish) against the loopback registry (scripts/openvsx-loopback.mjs), on hand-made
// packages: a right one is published (the registry received exactly the file's bytes and answers as Open VSX does),
// and ovsx reports each refusal: a package without a licence, a target Open VSX does not know, bytes that are not
// the expected file, a wrong token. `npm run publish:dry-run` runs the same against the six real packages.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ovsxPublish, startLoopbackRegistry } from '../../../scripts/openvsx-loopback.mjs';
import { zip } from './zip';

const ROOT = path.resolve(__dirname, '../../../..');
const TOKEN = 'loopback-token';

function vsix(target: string, manifest: Record<string, unknown>, extra: Record<string, string> = {}): Buffer {
  return zip({
    'extension.vsixmanifest': `<PackageManifest><Metadata><Identity Id="qed-nano" Publisher="qed-nano" Version="0.1.0" TargetPlatform="${target}"/></Metadata></PackageManifest>`,
    'extension/package.json': JSON.stringify({ name: 'qed-nano', publisher: 'qed-nano', version: '0.1.0', engines: { vscode: '^1.100.0' }, ...manifest }),
    'extension/dist/extension.js': '// bundle',
    ...extra,
  });
}

describe('platforms: ovsx publish against a loopback Open VSX registry', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-ovsx-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
  const write = (name: string, bytes: Buffer) => { const f = path.join(dir, name); fs.writeFileSync(f, bytes); return f; };

  it('publishes a right package: ovsx says so, and the registry received exactly its bytes', async () => {
    const file = write('right.vsix', vsix('linux-arm64', { license: 'Apache-2.0', galleryBanner: { color: '#1f3b63', theme: 'dark' } }));
    const registry = await startLoopbackRegistry({ token: TOKEN, expected: [file] });
    try {
      const r = await ovsxPublish(ROOT, file, registry.url, TOKEN);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /Published qed-nano\.qed-nano v0\.1\.0@linux-arm64/);
      assert.equal(registry.uploads.length, 1);
      assert.equal(registry.uploads[0].file, file);
      assert.equal(registry.uploads[0].bytes, fs.statSync(file).size);
    } finally {
      await registry.close();
    }
  });

  it('ovsx reports what the registry refuses: no licence, an unknown target, other bytes, a wrong token', async () => {
    const noLicence = write('no-licence.vsix', vsix('linux-x64', {}));
    const unknownTarget = write('riscv.vsix', vsix('linux-riscv64', { license: 'MIT' }));
    const right = write('right2.vsix', vsix('darwin-arm64', { license: 'MIT' }));
    const other = write('other.vsix', vsix('darwin-arm64', { license: 'MIT', description: 'changed after the check' }));
    const registry = await startLoopbackRegistry({ token: TOKEN, expected: [noLicence, unknownTarget, right] });
    try {
      const cases: [string, string, RegExp][] = [
        [noLicence, TOKEN, /cannot be accepted because it has no license/],
        [unknownTarget, TOKEN, /Unsupported target platform 'linux-riscv64'/],
        [other, TOKEN, /none of the packages this registry expects/],
        [right, 'wrong-token', /Invalid access token/],
      ];
      for (const [file, token, expected] of cases) {
        const r = await ovsxPublish(ROOT, file, registry.url, token);
        assert.notEqual(r.status, 0, `${path.basename(file)}: ${r.output}`);
        assert.match(r.output, expected, `${path.basename(file)}: ${r.output}`);
        assert.doesNotMatch(r.output, /Published/);
      }
    } finally {
      await registry.close();
    }
  });
});
