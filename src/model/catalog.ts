// The model catalog: which GGUF builds of QED-Nano can be downloaded, from where, and how to run them. VS Code-free.
// The built-in list is data (models/catalog.json, bundled); a user catalog (a file or inline entries) is validated
// the same way and merged over it by id, so a user can fix a URI, pin a sha256 or add a build without an update.
import { readFileSync } from 'node:fs';
import builtinJson from '../../models/catalog.json';
import { describeJsonValue, FieldChecker, parseJsonText } from './jsonFields';

export const CATALOG_SCHEMA = 'qed-nano-catalog/2';
/** Still read: version 1 is version 2 without repository-only URIs (every entry named its file). */
const CATALOG_SCHEMA_V1 = 'qed-nano-catalog/1';

export interface RecommendedSettings {
  contextSize: number;
  temperature: number;
  topP: number;
  topK: number;
}

export interface CatalogEntry {
  /** Stable key: settings and merges refer to an entry by it. Lowercase letters, digits, '.', '_' and '-'. */
  id: string;
  displayName: string;
  /**
   * hf:<user>/<repo>[#revision]: the repository's file of `quantization`, found in its Hub listing at download time;
   * hf:<user>/<repo>/<path>.gguf[#revision]: that file (still checked against the listing); or an http(s):// URL.
   */
  uri: string;
  /** Name of the installed file in the download directory (a plain name ending in .gguf); null: the Hub file's own name. */
  fileName: string | null;
  /**
   * Exact when sha256 is set (then it is verified); otherwise an estimate for display and the disk-space check (the
   * server's length is what the download checks). null = unknown (custom URIs).
   */
  sizeBytes: number | null;
  /** Lowercase hex SHA-256 of the whole file, or null when not known (then only size and GGUF magic are checked). */
  sha256: string | null;
  /** The GGUF file type, e.g. "Q4_K_M": for an hf:<user>/<repo> URI, the file picked from the listing by its name. */
  quantization: string;
  recommended: RecommendedSettings;
  /** The entry offered first; exactly one entry of a merged catalog is the default. */
  default?: true;
  notes: string;
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

type Obj = Record<string, unknown>;

class V extends FieldChecker {
  constructor(source: string) {
    super(source, (field, message) => new CatalogError(field, message));
  }
  str(o: Obj, k: string, field: string, test?: { re: RegExp; expected: string }): string {
    const v = o[k];
    if (typeof v !== 'string' || v.trim() === '') this.fail(`${field}.${k}`, test?.expected ?? 'a non-empty string', v);
    if (test && !test.re.test(v)) this.fail(`${field}.${k}`, test.expected, v);
    return v;
  }
  num(o: Obj, k: string, field: string, opts: { int?: boolean; min?: number; max?: number } = {}): number {
    const v = o[k];
    const range = opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` : opts.min !== undefined ? ` ≥ ${opts.min}` : '';
    const desc = `${opts.int ? 'an integer' : 'a number'}${range}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))
      || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) this.fail(`${field}.${k}`, desc, v);
    return v;
  }
}

const ID = { re: /^[a-z0-9][a-z0-9._-]*$/, expected: 'an id of lowercase letters, digits, ".", "_" and "-"' };
// a plain name, so a catalog can never make the downloader write outside its directory
const FILE_NAME = { re: /^(?!\.)[^/\\:*?"<>|\0]+\.gguf$/i, expected: 'a plain file name ending in ".gguf" (no folders)' };
const SHA256 = { re: /^[0-9a-f]{64}$/, expected: 'null or 64 lowercase hex digits (a SHA-256)' };
const URI = {
  re: /^(?:https?:\/\/[^\s]+|hf:[^\s/#:]+\/[^\s/#:]+(?:\/[^\s#]+\.gguf)?(?:#[^\s#]+)?)$/i,
  expected: 'an http(s):// URL, hf:<user>/<repo>[#revision] or hf:<user>/<repo>/<file>.gguf[#revision]',
};
const HF_REPO_ONLY = /^hf:[^/#]+\/[^/#]+(?:#.*)?$/i;
const ENTRY_KEYS = ['id', 'displayName', 'uri', 'fileName', 'sizeBytes', 'sha256', 'quantization', 'recommended', 'default', 'notes'];

/** Validates one entry; field names in errors are e.g. `models[2].recommended.topP`. */
export function validateEntry(raw: unknown, field: string, source: string): CatalogEntry {
  const v = new V(source);
  const o = v.obj(raw, field);
  for (const k of Object.keys(o)) {
    if (!ENTRY_KEYS.includes(k)) throw new CatalogError(`${field}.${k}`, `${source}: field "${field}.${k}" is not a catalog entry field (known: ${ENTRY_KEYS.join(', ')}).`);
  }
  const sha = o.sha256;
  if (sha !== null && (typeof sha !== 'string' || !SHA256.re.test(sha))) v.fail(`${field}.sha256`, SHA256.expected, sha);
  const r = v.obj(o.recommended, `${field}.recommended`);
  const rf = `${field}.recommended`;
  if (o.default !== undefined && o.default !== true) v.fail(`${field}.default`, 'true or absent', o.default);
  if (o.sizeBytes === null && sha !== null) v.fail(`${field}.sizeBytes`, 'the exact size in bytes when sha256 is given', null);
  return {
    id: v.str(o, 'id', field, ID),
    displayName: v.str(o, 'displayName', field),
    uri: v.str(o, 'uri', field, URI),
    fileName: o.fileName === null || (o.fileName === undefined && typeof o.uri === 'string' && HF_REPO_ONLY.test(o.uri)) ? null : v.str(o, 'fileName', field, FILE_NAME),
    sizeBytes: o.sizeBytes === null ? null : v.num(o, 'sizeBytes', field, { int: true, min: 1 }),
    sha256: sha as string | null,
    quantization: v.str(o, 'quantization', field),
    recommended: {
      contextSize: v.num(r, 'contextSize', rf, { int: true, min: 256 }),
      temperature: v.num(r, 'temperature', rf, { min: 0, max: 2 }),
      topP: v.num(r, 'topP', rf, { min: 0, max: 1 }),
      topK: v.num(r, 'topK', rf, { int: true, min: 0 }),
    },
    ...(o.default === true ? { default: true as const } : {}),
    notes: typeof o.notes === 'string' ? o.notes : v.fail(`${field}.notes`, 'a string', o.notes),
  };
}

/**
 * Validates a catalog document: `{"schema": "qed-nano-catalog/1", "models": [...]}`, or a bare array of entries
 * (the inline form of a user setting). Ids and file names must be unique; at most one entry is the default.
 */
export function validateCatalog(raw: unknown, source: string): CatalogEntry[] {
  const v = new V(source);
  let list: unknown;
  if (Array.isArray(raw)) {
    list = raw;
  } else {
    const o = v.obj(raw, '(root)');
    if (o.schema !== CATALOG_SCHEMA && o.schema !== CATALOG_SCHEMA_V1) {
      throw new CatalogError('schema', `${source}: field "schema" must be ${JSON.stringify(CATALOG_SCHEMA)} (or the older ${JSON.stringify(CATALOG_SCHEMA_V1)}), but it is ${o.schema === undefined ? 'missing' : describeJsonValue(o.schema)}.`);
    }
    list = o.models;
    if (!Array.isArray(list)) v.fail('models', 'an array', list);
  }
  const entries = (list as unknown[]).map((e, i) => validateEntry(e, `models[${i}]`, source));
  if (!Array.isArray(raw) && (raw as Obj).schema === CATALOG_SCHEMA_V1) {
    entries.forEach((e, i) => { if (e.fileName === null) v.fail(`models[${i}].fileName`, `a file name (${CATALOG_SCHEMA_V1} entries name their file)`, null); });
  }
  checkUnique(entries, source);
  const defaults = entries.filter(e => e.default);
  if (defaults.length > 1) {
    throw new CatalogError('default', `${source}: only one entry may be the default, but ${defaults.map(e => JSON.stringify(e.id)).join(' and ')} are.`);
  }
  return entries;
}

function checkUnique(entries: CatalogEntry[], source: string): void {
  const ids = new Map<string, number>();
  const files = new Map<string, string>();
  entries.forEach((e, i) => {
    const prev = ids.get(e.id);
    if (prev !== undefined) throw new CatalogError(`models[${i}].id`, `${source}: field "models[${i}].id" repeats the id ${JSON.stringify(e.id)} of models[${prev}].`);
    ids.set(e.id, i);
    // case-insensitive: two entries must never share one file on Windows or macOS
    if (e.fileName === null) return; // named by the Hub's listing at download time
    const other = files.get(e.fileName.toLowerCase());
    if (other !== undefined) {
      throw new CatalogError(`models[${i}].fileName`, `${source}: entries ${JSON.stringify(other)} and ${JSON.stringify(e.id)} have the same fileName ${JSON.stringify(e.fileName)}.`);
    }
    files.set(e.fileName.toLowerCase(), e.id);
  });
}

export function parseCatalog(text: string, source: string): CatalogEntry[] {
  return validateCatalog(parseJsonText(text, source, (field, message) => new CatalogError(field, message)), source);
}

export function readCatalogFile(file: string): CatalogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CatalogError('(file)', `Cannot read the model catalog ${file}: ${code === 'ENOENT' ? 'the file does not exist' : (err as Error).message}.`);
  }
  return parseCatalog(text, `model catalog ${file}`);
}

let builtinCache: CatalogEntry[] | undefined;

/** The catalog shipped with the extension (models/catalog.json). */
export function builtinCatalog(): CatalogEntry[] {
  builtinCache ??= validateCatalog(builtinJson, 'built-in model catalog');
  return builtinCache.map(e => ({ ...e, recommended: { ...e.recommended } }));
}

/**
 * The user's entries over the built-in ones: an entry with a built-in id replaces it in place, new ids are appended.
 * If a user entry is marked default, it becomes the only default. The result is validated again as a whole (unique
 * file names across both lists).
 */
export function mergeCatalogs(base: CatalogEntry[], user: CatalogEntry[], source = 'model catalog'): CatalogEntry[] {
  const byId = new Map(user.map(e => [e.id, e]));
  const baseIds = new Set(base.map(e => e.id));
  const merged = [...base.map(e => byId.get(e.id) ?? e), ...user.filter(e => !baseIds.has(e.id))];
  // a user default wins over the built-in one (two user defaults were already refused by validateCatalog)
  const result = user.some(e => e.default) ? merged.map(e => (user.includes(e) ? e : withoutDefault(e))) : merged;
  checkUnique(result, source);
  return result;
}

function withoutDefault(e: CatalogEntry): CatalogEntry {
  const { default: _default, ...rest } = e;
  return rest;
}

/**
 * What the extension calls: the built-in catalog, with a user catalog merged over it. `user` is the value of the
 * qedNano.modelCatalog setting: a path to a catalog JSON file, an inline array of entries, or empty/undefined.
 */
export function loadCatalog(user?: string | unknown[] | null): CatalogEntry[] {
  const base = builtinCatalog();
  if (user === undefined || user === null || (typeof user === 'string' && user.trim() === '')) return base;
  const entries = typeof user === 'string' ? readCatalogFile(user.trim())
    : Array.isArray(user) ? validateCatalog(user, 'setting qedNano.modelCatalog')
      : (() => { throw new CatalogError('(root)', `setting qedNano.modelCatalog must be a file path or an array of entries, but it is ${describeJsonValue(user)}.`); })();
  return mergeCatalogs(base, entries, 'merged model catalog');
}

/** The default entry (the one marked default, else the first). */
export function defaultEntry(catalog: CatalogEntry[]): CatalogEntry {
  const e = catalog.find(x => x.default) ?? catalog[0];
  if (!e) throw new CatalogError('models', 'The model catalog is empty.');
  return e;
}

/**
 * An entry for a URI the user typed (qedNano.modelDownloadUri): the file name is taken from the URI's last path
 * segment; size and checksum are unknown, so only the server's length and the GGUF magic are checked.
 */
export function entryForUri(uri: string, fallback: RecommendedSettings = builtinCatalog()[0]!.recommended): CatalogEntry {
  const trimmed = uri.trim();
  if (!URI.re.test(trimmed)) throw new CatalogError('uri', `The download URI ${JSON.stringify(trimmed)} must be ${URI.expected}.`);
  if (HF_REPO_ONLY.test(trimmed)) {
    // a repository: its files are listed at download time and the user picks one
    const repo = trimmed.slice(3).split('#')[0]!;
    return {
      id: `custom-${repo.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`, displayName: repo, uri: trimmed, fileName: null, sizeBytes: null, sha256: null,
      quantization: 'any', recommended: { ...fallback },
      notes: 'Custom repository (qedNano.modelDownloadUri): its GGUF files are listed from the Hugging Face Hub to choose from.',
    };
  }
  const pathPart = trimmed.startsWith('hf:') ? trimmed.slice(3).split('#')[0]! : new URL(trimmed).pathname;
  const last = decodeURIComponent(pathPart.split('/').pop() ?? '');
  if (!FILE_NAME.re.test(last)) {
    throw new CatalogError('uri', `The download URI ${JSON.stringify(trimmed)} must end in a file name ending in ".gguf", but it ends in ${JSON.stringify(last)}.`);
  }
  return {
    id: `custom-${last.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`,
    displayName: last,
    uri: trimmed,
    fileName: last,
    sizeBytes: null,
    sha256: null,
    quantization: /(?:^|[-_.])((?:I?Q\d[A-Z0-9_]*)|F16|BF16|F32)\.gguf$/i.exec(last)?.[1]?.toUpperCase() ?? 'unknown',
    recommended: { ...fallback },
    notes: trimmed.startsWith('hf:')
      ? 'Custom download URI (qedNano.modelDownloadUri): size and SHA-256 come from the Hugging Face Hub listing.'
      : 'Custom download URI (qedNano.modelDownloadUri): size and checksum not known in advance.',
  };
}
