// Unpacks an npm package tarball (.tgz: gzip + ustar, with pax and GNU long names) into a folder, streaming: the
// CUDA packages are hundreds of MB and are never held in memory. VS Code-free. npm tarballs hold regular files and
// folders under "package/"; that prefix is stripped. Links, devices and any path that would leave the folder
// (absolute, "..") are refused: a tarball is data from the network.
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';

export interface UnpackResult {
  files: number;
  bytes: number;
}

function field(h: Buffer, off: number, len: number): string {
  const b = h.subarray(off, off + len);
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(h: Buffer, off: number, len: number): number {
  if (h[off] & 0x80) { // base-256 (GNU) for sizes over 8 GiB
    let n = 0;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + h[i];
    return n;
  }
  const s = field(h, off, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function paxPath(data: Buffer): string | undefined {
  let p = 0;
  let found: string | undefined;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    if (sp < 0) break;
    const len = Number(data.toString('utf8', p, sp));
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = data.toString('utf8', sp + 1, p + len - 1);
    const eq = rec.indexOf('=');
    if (rec.slice(0, eq) === 'path') found = rec.slice(eq + 1);
    p += len;
  }
  return found;
}

/** Unpacks `tgz` into `dest` (created), stripping the first path component. Throws on anything unsafe or malformed. */
export async function unpackTarball(tgz: string, dest: string): Promise<UnpackResult> {
  await fsp.mkdir(dest, { recursive: true });
  const root = path.resolve(dest);
  let buf: Buffer = Buffer.alloc(0);
  let files = 0;
  let bytes = 0;
  let longName: string | undefined;
  // the entry being read: its remaining data bytes, padding, and where its data goes
  let remaining = 0;
  let padding = 0;
  let sink: { kind: 'file'; fh: fsp.FileHandle } | { kind: 'meta'; chunks: Buffer[]; type: string } | { kind: 'skip' } | undefined;
  let ended = false;

  const target = (name: string): string => {
    const rel = name.replace(/^\.?\/*/, '').split('/').slice(1).join('/');
    if (!rel) return '';
    const abs = path.resolve(root, rel);
    if (path.isAbsolute(name) || name.split('/').includes('..') || (abs !== root && !abs.startsWith(root + path.sep))) {
      throw new Error(`the tarball has an entry outside its folder: ${JSON.stringify(name)}`);
    }
    return abs;
  };

  const finishEntry = async () => {
    if (sink?.kind === 'file') await sink.fh.close();
    else if (sink?.kind === 'meta') {
      const data = Buffer.concat(sink.chunks);
      longName = sink.type === 'L' ? data.toString('utf8').replace(/\0+$/, '') : paxPath(data) ?? longName;
    }
    sink = undefined;
  };

  const header = async (h: Buffer) => {
    if (h.every((b) => b === 0)) { ended = true; return; }
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== octal(h, 148, 8)) throw new Error('the tarball is corrupt (a header checksum does not match)');
    const type = String.fromCharCode(h[156] || 0x30);
    const prefix = field(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const size = octal(h, 124, 12);
    remaining = size;
    padding = (512 - (size % 512)) % 512;
    if (type === 'x' || type === 'L') { sink = { kind: 'meta', chunks: [], type }; return; }
    longName = undefined;
    if (type === 'g') { sink = { kind: 'skip' }; return; }
    if (type === '5') { const t = target(name); if (t) await fsp.mkdir(t, { recursive: true }); sink = { kind: 'skip' }; return; }
    if (type !== '0' && type !== '7') throw new Error(`the tarball has an entry of type ${JSON.stringify(type)} (${name}): only files and folders are accepted`);
    const t = target(name);
    if (!t) throw new Error(`the tarball has a file without a name under its folder: ${JSON.stringify(name)}`);
    await fsp.mkdir(path.dirname(t), { recursive: true });
    const mode = octal(h, 100, 8) & 0o755;
    sink = { kind: 'file', fh: await fsp.open(t, 'w', mode | 0o600) };
    files++;
    bytes += size;
  };

  const stream = createReadStream(tgz).pipe(createGunzip());
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let off = 0;
    for (;;) {
      if (ended) break;
      if (sink) {
        if (remaining > 0) {
          const n = Math.min(remaining, buf.length - off);
          if (n === 0) break;
          const part = buf.subarray(off, off + n);
          if (sink.kind === 'file') await sink.fh.write(part);
          else if (sink.kind === 'meta') sink.chunks.push(Buffer.from(part));
          remaining -= n;
          off += n;
          if (remaining > 0) break;
        }
        if (buf.length - off < padding) break;
        off += padding;
        padding = 0;
        await finishEntry();
        continue;
      }
      if (buf.length - off < 512) break;
      await header(buf.subarray(off, off + 512));
      off += 512;
    }
    buf = buf.subarray(off);
  }
  if (sink) { await finishEntry(); throw new Error('the tarball ends in the middle of an entry'); }
  if (!ended && buf.length) throw new Error('the tarball ends with a partial header');
  return { files, bytes };
}
