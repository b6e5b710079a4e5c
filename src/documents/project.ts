// A VS Code-free index of a workspace's LaTeX projects, fed through a small file-reading interface: the root of a
// file (% !TEX root, a \documentclass file that reaches it through \input/\include/\subfile/\import/\subimport,
// a subfiles class option), the include graph both ways, and what the project declares for a file (theorem-like,
// proof-like and verbatim environments; macros) from the root's preamble and local .sty/.cls files.
// Each file is parsed once and kept until `invalidate(path)`: re-indexing after an edit costs one file's parse.
import * as posix from 'node:path/posix';
import { braceTable, declarationsOf, emptyDeclarations, maskLatex, mergeDeclarations, scanLatex, scanMacros, VERBATIM_ENVS, type LatexDeclarations } from './latex';
import type { DocumentOutline, MacroDefinition } from './model';
import { LineIndex } from './text';

/** The files of a workspace, by '/'-separated path. */
export interface ProjectFiles {
  /** The file's text, or undefined when it does not exist (or cannot be read). */
  read(path: string): string | undefined;
  /** Every file of the workspace that may take part in a project (.tex, .sty, .cls, Markdown, _config.yml …). */
  list(): string[];
}

interface ParsedLatex {
  text: string;
  /** Included files in document order, resolved to paths that exist. */
  includes: string[];
  /** Local .sty/.cls files used (\usepackage, \RequirePackage, \documentclass, \LoadClass). */
  packages: string[];
  /** The root named by `% !TEX root = …` or a subfiles class option. */
  magicRoot?: string;
  hasDocumentClass: boolean;
  /** The masked text (comments, verbatim blanked). */
  masked: string;
  br: Int32Array;
  /** What the file declares and defines, read once per parse. */
  declarations?: LatexDeclarations;
  macros?: MacroDefinition[];
}

const LATEX_FILE = /\.(tex|ltx|latex)$/i;

/** Normalises a path to '/' separators (Windows paths from the editor included). */
export function normalizePath(p: string): string {
  return posix.normalize(p.replace(/\\/g, '/'));
}

export class ProjectIndex {
  private readonly parsed = new Map<string, ParsedLatex | null>();
  private fileSet: Set<string> | undefined;
  private byBaseName: Map<string, string[]> | undefined;
  /** The include graph's reverse edges, built once from every LaTeX file and dropped on any change. */
  private reverse: Map<string, string[]> | undefined;
  /** Parses done since creation (for tests and benches: an edit re-parses one file). */
  parses = 0;

  constructor(private readonly files: ProjectFiles) {}

  /** Forget one file (changed, created or deleted); the file list is re-read on the next query. */
  invalidate(path: string): void {
    this.parsed.delete(normalizePath(path));
    this.reverse = undefined;
  }

  /** The workspace's file list changed (files created, deleted, renamed): re-read it and re-resolve includes. */
  filesChanged(): void {
    this.fileSet = undefined;
    this.byBaseName = undefined;
    this.reverse = undefined;
    this.parsed.clear();
  }

  /** Parses one file ahead of need (background indexing); false when it is not a LaTeX file of the workspace. */
  prepare(path: string): boolean {
    const key = normalizePath(path);
    return /\.(tex|ltx|latex|sty|cls)$/i.test(key) && this.parse(key) !== null;
  }

  /** The LaTeX files of the workspace. */
  latexFiles(): string[] {
    return [...this.list()].filter(f => LATEX_FILE.test(f));
  }

  private list(): Set<string> {
    if (!this.fileSet) {
      this.fileSet = new Set(this.files.list().map(normalizePath));
      this.byBaseName = new Map();
      for (const f of this.fileSet) {
        const b = posix.basename(f);
        const l = this.byBaseName.get(b);
        if (l) l.push(f); else this.byBaseName.set(b, [f]);
      }
    }
    return this.fileSet;
  }

  private parse(path: string): ParsedLatex | null {
    const key = normalizePath(path);
    const cached = this.parsed.get(key);
    if (cached !== undefined) return cached;
    const text = this.files.read(key);
    if (text === undefined) { this.parsed.set(key, null); return null; }
    this.parses++;
    const { masked } = maskLatex(text, VERBATIM_ENVS);
    const br = braceTable(masked);
    const dir = posix.dirname(key);
    const includes: string[] = [];
    const packages: string[] = [];
    const re = /\\(input|include|subfile|import|subimport|inputfrom|subinputfrom|includefrom|subincludefrom|InputIfFileExists|usepackage|RequirePackage|documentclass|LoadClass)(?![A-Za-z@])\*?\s*(?:\[[^\]]*\]\s*)?\{([^{}]*)\}(?:\s*\{([^{}]*)\})?/g;
    let hasDocumentClass = false;
    let magicRoot: string | undefined;
    const magic = /^[ \t]*%+[ \t]*!TEX[ \t]+root[ \t]*=[ \t]*(.+?)[ \t]*$/im.exec(text.slice(0, 4000));
    if (magic) magicRoot = this.resolve(magic[1]!, dir, dir, '.tex');
    for (const m of masked.matchAll(re)) {
      const cmd = m[1]!;
      const arg = m[2]!.trim();
      if (cmd === 'usepackage' || cmd === 'RequirePackage') {
        for (const name of arg.split(',')) { const f = this.findByName(`${name.trim()}.sty`, dir); if (f) packages.push(f); }
      } else if (cmd === 'documentclass' || cmd === 'LoadClass') {
        if (cmd === 'documentclass') hasDocumentClass = true;
        if (arg === 'subfiles') {
          const opt = /\[([^\]]*)\]/.exec(m[0])?.[1]?.trim();
          if (opt) magicRoot ??= this.resolve(opt, dir, dir, '.tex');
        } else {
          const f = this.findByName(`${arg}.cls`, dir);
          if (f) packages.push(f);
        }
      } else if (/import|from$/.test(cmd)) {
        const file = m[3]?.trim();
        if (file === undefined) continue;
        const f = this.resolve(posix.join(arg, file), cmd.startsWith('sub') ? dir : this.rootDirGuess(dir), dir, '.tex');
        if (f) includes.push(f);
      } else {
        const f = this.resolve(arg, this.rootDirGuess(dir), dir, '.tex');
        if (f) includes.push(f);
      }
    }
    const p: ParsedLatex = { text, includes, packages, ...(magicRoot ? { magicRoot } : {}), hasDocumentClass, masked, br };
    this.parsed.set(key, p);
    return p;
  }

  /** \input paths are relative to the root's folder, unknown while parsing: the including file's folder is tried too. */
  private rootDirGuess(dir: string): string { return dir; }

  /** An existing file for a name as written: relative to the root's or the including file's folder or any ancestor. */
  private resolve(name: string, primary: string, secondary: string, ext: string): string | undefined {
    const files = this.list();
    const withExt = posix.extname(name) ? [name, `${name}${ext}`] : [`${name}${ext}`, name];
    for (let dir: string | undefined = primary; dir !== undefined; dir = dir === '.' || dir === '/' || dir === '' ? undefined : posix.dirname(dir)) {
      for (const n of withExt) { const f = normalizePath(posix.join(dir, n)); if (files.has(f)) return f; }
    }
    for (const n of withExt) { const f = normalizePath(posix.join(secondary, n)); if (files.has(f)) return f; }
    return undefined;
  }

  /** A local package or class by file name: next to the file, else anywhere in the workspace (a texmf tree). */
  private findByName(fileName: string, dir: string): string | undefined {
    this.list();
    const near = normalizePath(posix.join(dir, fileName));
    if (this.fileSet!.has(near)) return near;
    return this.byBaseName!.get(fileName)?.[0];
  }

  /** The files a file includes, directly. */
  includesOf(path: string): string[] {
    return this.parse(path)?.includes ?? [];
  }

  /** The files that include a file, directly (the reverse edges of the include graph). */
  includedBy(path: string): string[] {
    if (!this.reverse) {
      this.reverse = new Map();
      for (const f of this.latexFiles()) {
        for (const inc of this.parse(f)?.includes ?? []) {
          if (inc === f) continue;
          const l = this.reverse.get(inc);
          if (l) { if (!l.includes(f)) l.push(f); } else this.reverse.set(inc, [f]);
        }
      }
    }
    return this.reverse.get(normalizePath(path)) ?? [];
  }

  /**
   * The root documents of a file: the one its `% !TEX root` or subfiles option names; else every \documentclass
   * file that reaches it through includes; else the file itself.
   */
  rootsOf(path: string): string[] {
    const key = normalizePath(path);
    const own = this.parse(key);
    if (own?.magicRoot && this.parse(own.magicRoot)) return [own.magicRoot];
    if (own?.hasDocumentClass && /\\begin\s*\{document\}/.test(own.masked)) return [key];
    // Walk the reverse include graph up to files that have a \documentclass.
    const roots: string[] = [];
    const seen = new Set([key]);
    const queue = [key];
    while (queue.length) {
      const f = queue.shift()!;
      for (const up of this.includedBy(f)) {
        if (seen.has(up)) continue;
        seen.add(up);
        const p = this.parse(up);
        if (p?.magicRoot && p.magicRoot !== up) { queue.push(up); continue; }
        if (p?.hasDocumentClass && /\\begin\s*\{document\}/.test(p.masked)) roots.push(up); else queue.push(up);
      }
    }
    return roots.length ? roots.sort() : [key];
  }

  /** The project's files in document order from a root: included files and local packages, each once. */
  closureOf(root: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (f: string): void => {
      if (seen.has(f)) return;
      seen.add(f);
      const p = this.parse(f);
      if (!p) return;
      out.push(f);
      for (const pkg of p.packages) visit(pkg);
      for (const inc of p.includes) visit(inc);
    };
    visit(normalizePath(root));
    return out;
  }

  /** What the project declares for a file, from every other file of its root's closure, in document order. */
  declarationsFor(path: string): LatexDeclarations {
    const key = normalizePath(path);
    const root = this.rootsOf(key)[0]!;
    const decl = emptyDeclarations();
    for (const f of this.closureOf(root)) {
      if (f === key) continue;
      const p = this.parse(f)!;
      p.declarations ??= declarationsOf(p.masked, p.br, decl);
      mergeDeclarations(decl, p.declarations);
    }
    return decl;
  }

  /** The macros of a file's project (other files of its closure), in document order. */
  macrosFor(path: string): MacroDefinition[] {
    const key = normalizePath(path);
    const root = this.rootsOf(key)[0]!;
    const out: MacroDefinition[] = [];
    for (const f of this.closureOf(root)) {
      if (f === key) continue;
      const p = this.parse(f)!;
      p.macros ??= scanMacros(p.text, p.masked, new LineIndex(p.text), p.br).map(m => ({ ...m, file: f }));
      out.push(...p.macros);
    }
    return out;
  }

  /**
   * The macros a Markdown file's project configures: `macros:` maps of the nearest Jupyter Book `_config.yml`,
   * Quarto `_quarto.yml` or MyST `myst.yml` (MathJax/KaTeX style: "R": "\\mathbb{R}", "norm": ["\\|#1\\|", 1]).
   */
  markdownMacrosFor(path: string): MacroDefinition[] {
    const files = this.list();
    for (let dir = posix.dirname(normalizePath(path)); ; dir = posix.dirname(dir)) {
      for (const name of ['_config.yml', '_quarto.yml', 'myst.yml']) {
        const f = normalizePath(posix.join(dir, name));
        if (!files.has(f)) continue;
        const text = this.files.read(f);
        if (text !== undefined) return yamlMacros(text, f);
      }
      if (dir === '.' || dir === '/' || dir === '') return [];
    }
  }

  /** A LaTeX file's outline with its project's declarations, and its project's macros before its own. */
  outlineLatex(path: string, text: string): DocumentOutline {
    const { theorems, macros } = scanLatex(text, this.declarationsFor(path));
    return { language: 'latex', theorems, macros: [...this.macrosFor(path), ...macros] };
  }
}

/** Unescapes a YAML scalar: "…" with backslash escapes, '…' with doubled quotes, or plain. */
function yamlScalar(s: string): string {
  const t = s.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    return t.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  }
  if (t.startsWith("'") && t.endsWith("'") && t.length >= 2) return t.slice(1, -1).replace(/''/g, "'");
  return t;
}

/** The entries of every `macros:` map of a YAML file, as \newcommand definitions (a line-based reader, no YAML library). */
export function yamlMacros(text: string, file: string): MacroDefinition[] {
  const out: MacroDefinition[] = [];
  const lines = new LineIndex(text);
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const head = /^([ \t]*)macros:[ \t]*(#.*)?\r?$/.exec(raw[i]!);
    if (!head) continue;
    const indent = head[1]!.length;
    for (let j = i + 1; j < raw.length; j++) {
      const line = raw[j]!.replace(/\r$/, '');
      if (/^\s*(#.*)?$/.test(line)) continue;
      if (line.length - line.trimStart().length <= indent) break;
      const m = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z@]+)\s*:\s*(.+?)\s*$/.exec(line);
      if (!m) continue;
      const name = `\\${yamlScalar(m[1]!)}`;
      let body = m[2]!;
      let args = 0;
      const arr = /^\[\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*,\s*(\d+)\s*(?:,.*)?\]$/.exec(body);
      if (arr) { body = yamlScalar(arr[1]!); args = Number(arr[2]); } else body = yamlScalar(body);
      if (!/^\\[A-Za-z@]+$/.test(name)) continue;
      const start = lines.starts[j]!;
      out.push({
        kind: 'newcommand', name, arguments: args, body, starred: false,
        source: `\\newcommand{${name}}${args ? `[${args}]` : ''}{${body}}`, range: lines.range(start, start + line.length), file,
      });
    }
  }
  return out;
}
