// The model catalog: the built-in models/catalog.json, validation errors naming the field, user catalogs merged over it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CatalogError, builtinCatalog, defaultEntry, entryForUri, loadCatalog, mergeCatalogs, parseCatalog, validateCatalog, type CatalogEntry,
} from '../../../src/model/catalog';
import { parseHfUri } from '../../../src/model/hub';

const good = (): Record<string, unknown> => ({
  id: 'mine-q5', displayName: 'Mine Q5', uri: 'https://example.org/m/mine-Q5_K_M.gguf', fileName: 'mine-Q5_K_M.gguf',
  sizeBytes: 2_900_000_000, sha256: null, quantization: 'Q5_K_M',
  recommended: { contextSize: 8192, temperature: 0.6, topP: 0.95, topK: 20 }, notes: '',
});

function errorOf(f: () => unknown): CatalogError {
  try { f(); } catch (err) { if (err instanceof CatalogError) return err; throw err; }
  throw new Error('expected a CatalogError');
}

describe('model/catalog', () => {
  it('the built-in catalog is valid: QED-Nano Q4_K_M is the default, Q6_K and Q8_0 the alternatives, all from Mungert/QED-Nano-GGUF by its listing', () => {
    const c = builtinCatalog();
    assert.deepEqual(c.map(e => e.quantization), ['Q4_K_M', 'Q6_K', 'Q8_0']);
    const d = defaultEntry(c);
    assert.equal(d.id, 'qed-nano-q4_k_m');
    assert.ok(d.sizeBytes! > 2e9 && d.sizeBytes! < 3e9);
    assert.deepEqual(d.recommended, { contextSize: 58880, temperature: 0.6, topP: 0.95, topK: 20 });
    // no guessed file names: each entry names the repository, and the file is picked from its Hub listing at download time
    for (const e of c) {
      assert.equal(e.uri, 'hf:Mungert/QED-Nano-GGUF');
      assert.deepEqual(parseHfUri(e.uri), { repo: 'Mungert/QED-Nano-GGUF', revision: 'main' });
      assert.equal(e.fileName, null);
      assert.equal(e.sha256, null, 'a pinned hash would have to be checked against the real listing');
    }
    c[0]!.recommended.topK = 99; // a copy: callers cannot change the cached built-in list
    assert.equal(builtinCatalog()[0]!.recommended.topK, 20);
  });

  it('validation errors name the field and say what it must be', () => {
    const cases: [(e: Record<string, unknown>) => void, string, RegExp][] = [
      [e => { delete e.uri; }, 'models[0].uri', /must be an http\(s\):\/\/ URL, hf:.* but it is missing/],
      [e => { e.uri = 'hf:user/repo:Q4_K_M'; }, 'models[0].uri', /hf:<user>\/<repo>\/<file>\.gguf/],
      [e => { e.fileName = '../evil.gguf'; }, 'models[0].fileName', /plain file name ending in "\.gguf"/],
      [e => { e.fileName = 'model.bin'; }, 'models[0].fileName', /the string "model\.bin"/],
      [e => { e.sha256 = 'ABC'; }, 'models[0].sha256', /64 lowercase hex digits/],
      [e => { e.sizeBytes = -1; }, 'models[0].sizeBytes', /an integer ≥ 1/],
      [e => { e.sizeBytes = null; e.sha256 = 'a'.repeat(64); }, 'models[0].sizeBytes', /exact size in bytes when sha256 is given/],
      [e => { (e.recommended as Record<string, unknown>).topP = 1.5; }, 'models[0].recommended.topP', /a number from 0 to 1, but it is number 1\.5/],
      [e => { e.recommended = 'fast'; }, 'models[0].recommended', /an object/],
      [e => { e.default = false; }, 'models[0].default', /true or absent/],
      [e => { e.id = 'Has Space'; }, 'models[0].id', /lowercase letters/],
      [e => { e.sizebytes = 1; }, 'models[0].sizebytes', /not a catalog entry field/],
    ];
    for (const [mutate, field, message] of cases) {
      const e = good();
      mutate(e);
      const err = errorOf(() => validateCatalog({ schema: 'qed-nano-catalog/1', models: [e] }, 'test catalog'));
      assert.equal(err.field, field, err.message);
      assert.match(err.message, /^test catalog: /);
      assert.match(err.message, message);
    }
    assert.equal(errorOf(() => validateCatalog({ models: [] }, 'x')).field, 'schema');
    assert.equal(errorOf(() => validateCatalog({ schema: 'qed-nano-catalog/1' }, 'x')).field, 'models');
    assert.match(errorOf(() => parseCatalog('{', 'f.json')).message, /^f\.json is not valid JSON/);
    const dup = errorOf(() => validateCatalog([good(), { ...good(), fileName: 'other.gguf' }], 'x'));
    assert.equal(dup.field, 'models[1].id');
    const sameFile = errorOf(() => validateCatalog([good(), { ...good(), id: 'other', fileName: 'MINE-Q5_K_M.gguf' }], 'x'));
    assert.equal(sameFile.field, 'models[1].fileName');
    const twoDefaults = errorOf(() => validateCatalog([{ ...good(), default: true }, { ...good(), id: 'b', fileName: 'b.gguf', default: true }], 'x'));
    assert.equal(twoDefaults.field, 'default');
  });

  it('a user catalog merges over the built-in one: same id replaces in place, new ids are appended, a user default wins', () => {
    const base = builtinCatalog();
    const pinned: CatalogEntry = { ...base[0]!, sha256: 'b'.repeat(64), sizeBytes: 2_497_000_000 };
    delete (pinned as { default?: true }).default;
    const mine = validateCatalog([{ ...good(), default: true }], 'user')[0]!;
    const merged = mergeCatalogs(base, [pinned, mine]);
    assert.deepEqual(merged.map(e => e.id), ['qed-nano-q4_k_m', 'qed-nano-q6_k', 'qed-nano-q8_0', 'mine-q5']);
    assert.equal(merged[0]!.sha256, 'b'.repeat(64));
    assert.equal(defaultEntry(merged).id, 'mine-q5');
    assert.equal(merged.filter(e => e.default).length, 1);
    // without a user default the built-in default stays
    assert.equal(defaultEntry(mergeCatalogs(base, [{ ...mine, default: undefined } as CatalogEntry])).id, 'qed-nano-q4_k_m');
    // a user entry may not take a built-in entry's file name under another id
    const clash = errorOf(() => mergeCatalogs(base, [{ ...base[2]!, fileName: 'QED-Nano-Q8_0.gguf', uri: 'https://x.example/q8.gguf' }, { ...mine, fileName: 'qed-nano-q8_0.gguf' }]));
    assert.match(clash.message, /same fileName/);
  });

  it('loadCatalog reads the setting: empty, a file path, or inline entries; a bad file is reported with its path', () => {
    assert.equal(loadCatalog('').length, 3);
    assert.equal(loadCatalog(undefined).length, 3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-catalog-test-'));
    try {
      const file = path.join(dir, 'catalog.json');
      fs.writeFileSync(file, JSON.stringify({ schema: 'qed-nano-catalog/1', models: [good()] }));
      assert.equal(loadCatalog(file).at(-1)!.id, 'mine-q5');
      assert.equal(loadCatalog([good()]).at(-1)!.id, 'mine-q5');
      fs.writeFileSync(file, JSON.stringify({ schema: 'qed-nano-catalog/1', models: [{ ...good(), sizeBytes: 'big' }] }));
      const err = errorOf(() => loadCatalog(file));
      assert.equal(err.field, 'models[0].sizeBytes');
      assert.ok(err.message.includes(file));
      assert.match(errorOf(() => loadCatalog(path.join(dir, 'none.json'))).message, /the file does not exist/);
      assert.match(errorOf(() => loadCatalog([{ ...good(), topK: 1 }])).message, /^setting qedNano\.modelCatalog: field "models\[0\]\.topK"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('entryForUri makes an entry for a custom download URI, or says why it cannot', () => {
    const e = entryForUri('https://example.org/files/Some-Model-Q5_K_M.gguf?download=true');
    assert.equal(e.fileName, 'Some-Model-Q5_K_M.gguf');
    assert.equal(e.quantization, 'Q5_K_M');
    assert.equal(e.sha256, null);
    assert.equal(e.sizeBytes, null);
    assert.equal(entryForUri('hf:me/repo/sub/x-q8_0.gguf#dev').fileName, 'x-q8_0.gguf');
    assert.match(errorOf(() => entryForUri('https://example.org/download?id=3')).message, /must end in a file name ending in "\.gguf"/);
    assert.match(errorOf(() => entryForUri('hf:me/repo:Q4_K_M')).message, /must be an http\(s\):\/\/ URL, hf:/);
    // a repository alone: listed at download time, the user picks a quantization
    const repo = entryForUri('hf:me/QED-Nano-mine#dev');
    assert.equal(repo.fileName, null);
    assert.equal(repo.quantization, 'any');
    assert.equal(repo.uri, 'hf:me/QED-Nano-mine#dev');
  });

  it('catalog format 2 allows repository-only hf: URIs (fileName null or absent); format 1 is still read, with named files only', () => {
    const repoOnly = { ...good(), uri: 'hf:me/QED-Nano-GGUF', fileName: null };
    const v2 = validateCatalog({ schema: 'qed-nano-catalog/2', models: [repoOnly, { ...good(), id: 'b', uri: 'hf:me/other', fileName: undefined }] }, 'x');
    assert.deepEqual(v2.map(e => e.fileName), [null, null], 'two repository-only entries do not clash on a file name');
    assert.equal(validateCatalog({ schema: 'qed-nano-catalog/1', models: [good()] }, 'x')[0]!.fileName, 'mine-Q5_K_M.gguf');
    const old = errorOf(() => validateCatalog({ schema: 'qed-nano-catalog/1', models: [repoOnly] }, 'x'));
    assert.equal(old.field, 'models[0].fileName');
    assert.match(old.message, /qed-nano-catalog\/1 entries name their file/);
    assert.match(errorOf(() => validateCatalog({ schema: 'qed-nano-catalog/3', models: [] }, 'x')).message, /must be "qed-nano-catalog\/2" \(or the older "qed-nano-catalog\/1"\)/);
    // a named file still needs its fileName
    assert.equal(errorOf(() => validateCatalog([{ ...good(), fileName: undefined }], 'x')).field, 'models[0].fileName');
  });
});
