// The tarball reader (src/model/tarball.ts) on hand-made archives: what npm tarballs hold (files under package/,
// pax long names, a file over one block), and what it must refuse from the network (links, "..", absolute paths,
// a corrupt header, a truncated archive), leaving nothing outside the destination.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackTarball } from '../../../src/model/tarball';

interface Entry { name: string; type?: string; data?: Buffer; linkname?: string; mode?: number }

function header(name: string, size: number, type: string, mode: number, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function tar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(header(e.name, data.length, e.type ?? '0', e.mode ?? 0o644, e.linkname));
    parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function pax(name: string): Buffer {
  const rec = (len: number) => `${len} path=${name}\n`;
  let len = rec(0).length;
  while (rec(len).length !== len) len = rec(len).length;
  return Buffer.from(rec(len));
}

describe('model/tarball: unpacking npm package tarballs', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-tar-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  const write = (entries: Entry[], raw?: Buffer) => {
    const f = path.join(dir, 'p.tgz');
    fs.writeFileSync(f, gzipSync(raw ?? tar(entries)));
    return f;
  };
  const dest = () => path.join(dir, 'out');

  it('unpacks files under package/ with the prefix stripped, a pax long name, and data over several blocks', async () => {
    const big = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const longName = `package/bins/${'x'.repeat(120)}/llama-addon.node`;
    const r = await unpackTarball(write([
      { name: 'package/package.json', data: Buffer.from('{"name":"p"}') },
      { name: 'package/bins', type: '5', mode: 0o755 },
      { name: 'PaxHeader', type: 'x', data: pax(longName) },
      { name: 'package/bins/truncated-name', data: big, mode: 0o755 },
      { name: 'package/empty.txt' },
    ]), dest());
    assert.deepEqual(r, { files: 3, bytes: 12 + 70_000 });
    assert.equal(fs.readFileSync(path.join(dest(), 'package.json'), 'utf8'), '{"name":"p"}');
    assert.ok(fs.readFileSync(path.join(dest(), 'bins', 'x'.repeat(120), 'llama-addon.node')).equals(big));
    assert.equal(fs.statSync(path.join(dest(), 'empty.txt')).size, 0);
  });

  for (const [what, entries] of [
    ['a symbolic link', [{ name: 'package/link', type: '2', linkname: '/etc/passwd' }]],
    ['a hard link', [{ name: 'package/link', type: '1', linkname: 'package/a' }]],
    ['a path with ..', [{ name: 'package/../../escape.txt', data: Buffer.from('x') }]],
    ['an absolute path', [{ name: '/tmp/qed-tar-absolute.txt', data: Buffer.from('x') }]],
  ] as [string, Entry[]][]) {
    it(`refuses ${what} and writes nothing outside the destination`, async () => {
      await assert.rejects(unpackTarball(write(entries), dest()), /outside its folder|only files and folders/);
      assert.equal(fs.existsSync(path.join(dir, 'escape.txt')), false);
      assert.equal(fs.existsSync('/tmp/qed-tar-absolute.txt'), false);
      assert.equal(fs.existsSync(path.join(dest(), 'link')), false);
    });
  }

  it('refuses a header whose checksum does not match', async () => {
    const raw = tar([{ name: 'package/a.txt', data: Buffer.from('hello') }]);
    raw[0] ^= 0x01; // the name changes, the stored checksum does not
    await assert.rejects(unpackTarball(write([], raw), dest()), /header checksum/);
  });

  it('refuses an archive cut in the middle of a file', async () => {
    const raw = tar([{ name: 'package/a.bin', data: Buffer.alloc(4096, 7) }]);
    await assert.rejects(unpackTarball(write([], raw.subarray(0, 512 + 1000)), dest()), /ends in the middle of an entry/);
  });
});
