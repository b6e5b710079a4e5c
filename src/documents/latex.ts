// Theorems, proofs and macro definitions of a LaTeX document, found by a linear scan (no full parse).
//   1. mask: comments, verbatim-like environments (verbatim, Verbatim, lstlisting, minted, comment, filecontents),
//      \verb|…|, \url{…}/\href{…} arguments and \iffalse … \fi become spaces (offsets and newlines kept);
//   2. declarations: \newtheorem, \newtheorem*, \declaretheorem, \numberwithin, and the document class (beamer);
//   3. one pass over \begin/\end/sectioning tokens with an environment stack: theorem-like environments, proof
//      environments, section counters for numbering. A missing \end is inferred (the theorem is marked incomplete)
//      at the next theorem or proof at its top level, the next sectioning command, the \end of an enclosing
//      environment, or the end of the text.
import type { MacroDefinition, MacroKind, Proof, Range, Theorem } from './model';
import { BASE_KINDS, LineIndex, capitalize, displayLabel } from './text';

export const VERBATIM_ENVS = new Set(['verbatim', 'verbatim*', 'Verbatim', 'Verbatim*', 'BVerbatim', 'LVerbatim', 'lstlisting', 'minted', 'comment', 'filecontents', 'filecontents*', 'alltt*', 'asy', 'tcblisting']);
/** Proof-like environments: what follows a theorem (or sits inside it) and proves it. */
export const PROOF_ENVS = new Set(['proof', 'proof*', 'solution', 'solution*', 'soln', 'sol', 'subproof']);
/** Names that make an answers-package association (\Newassociation{sketch}…) a proof; `hint` stays none. */
const PROOFLIKE_ASSOCIATION = /^(proof|sol|soln|solution|sketch|answer|ans)\*?$/;
/** Statements that are asides: a proof right after one proves the statement before it (napkin's questions). */
const ASIDE_KINDS = new Set(['ques', 'question', 'remark', 'rem', 'note', 'abuse', 'hint']);
/**
 * Conventional short names, recognised without a declaration when none is found (a .sty outside the workspace):
 * their detections are marked `guessed`.
 */
export const GUESSED_KINDS: Record<string, string> = {
  thm: 'Theorem', lem: 'Lemma', lemm: 'Lemma', prop: 'Proposition', cor: 'Corollary', coro: 'Corollary', conj: 'Conjecture',
  defn: 'Definition', dfn: 'Definition', ques: 'Question', prob: 'Problem', exer: 'Exercise', exercise: 'Exercise',
  claim: 'Claim', fact: 'Fact', obs: 'Observation', rem: 'Remark', ex: 'Example',
};
/** Kinds that commonly sit inside a proof; their \begin does not end an unterminated proof. */
const NESTABLE_IN_PROOF = new Set(['claim', 'fact', 'observation', 'step', 'case', 'subclaim']);
/** Environments beamer declares (unnumbered unless \setbeamertemplate{theorems}[numbered]). */
const BEAMER_KINDS = ['theorem', 'corollary', 'fact', 'lemma', 'problem', 'definition', 'definitions', 'example', 'examples'];

export interface MaskedLatex {
  /** The text with comments and verbatim material replaced by spaces. */
  masked: string;
  /** [start, end) of each % comment, in order. */
  comments: Array<[number, number]>;
}

/** Spaces for every character but newlines (fast on long lines, unlike a per-character replace). */
export function blank(s: string): string {
  return s.indexOf('\n') < 0 ? ' '.repeat(s.length) : s.split('\n').map(x => ' '.repeat(x.length)).join('\n');
}

/** Blanks comments and verbatim material, keeping every offset and newline. */
export function maskLatex(text: string, verbatimEnvs: ReadonlySet<string> = VERBATIM_ENVS): MaskedLatex {
  const parts: string[] = [];
  const comments: Array<[number, number]> = [];
  let copied = 0;
  const cut = (a: number, b: number): void => {
    parts.push(text.slice(copied, a), blank(text.slice(a, b)));
    copied = b;
  };
  const n = text.length;
  const beginVerb = /\\begin\s*\{([A-Za-z@]+\*?)\}/y;
  const ifFalse = /\\iffalse(?![A-Za-z])/y;
  const controlWord = /[A-Za-z@]*/y;
  const ifOrFi = /\\(if[A-Za-z]*|fi)(?![A-Za-z])/g;
  // Jump from one % or \ to the next with a regex (native code even before the JIT warms up).
  const special = /[%\\]/g;
  let i = 0;
  while (i < n) {
    special.lastIndex = i;
    if (!special.exec(text)) break;
    i = special.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      let e = text.indexOf('\n', i);
      if (e < 0) e = n;
      comments.push([i, e]);
      cut(i, e);
      i = e;
      continue;
    }
    const next = text.charCodeAt(i + 1);
    const isLetter = (next >= 65 && next <= 90) || (next >= 97 && next <= 122);
    if (!isLetter) { i += 2; continue; }
    controlWord.lastIndex = i + 1;
    controlWord.exec(text);
    const j = controlWord.lastIndex;
    const name = text.slice(i + 1, j);
    if (name === 'begin') {
      beginVerb.lastIndex = i;
      const m = beginVerb.exec(text);
      if (m && verbatimEnvs.has(m[1]!)) {
        const endMarker = `\\end{${m[1]!}}`;
        const e = text.indexOf(endMarker, i + m[0].length);
        const stop = e < 0 ? n : e + endMarker.length;
        cut(i, stop);
        i = stop;
        continue;
      }
    } else if (name === 'verb' || name === 'lstinline') {
      let k = j;
      if (text[k] === '*') k++;
      const delim = text[k];
      if (delim !== undefined && delim !== '\n' && delim !== ' ' && delim !== '{' && !/[A-Za-z]/.test(delim)) {
        let e = text.indexOf(delim, k + 1);
        const eol = text.indexOf('\n', k + 1);
        if (e < 0 || (eol >= 0 && eol < e)) e = (eol < 0 ? n : eol) - 1;
        cut(i, e + 1);
        i = e + 1;
        continue;
      }
    } else if (name === 'url' || name === 'href') {
      // % inside a URL is not a comment: skip the (brace-balanced) first argument untouched.
      let k = j;
      while (text[k] === ' ') k++;
      if (text[k] === '{') {
        const e = matchBraceBounded(text, k, 1000);
        if (e > 0) { i = e; continue; }
      }
    } else if (name === 'iffalse') {
      ifFalse.lastIndex = i;
      if (ifFalse.exec(text)) {
        let depth = 1;
        ifOrFi.lastIndex = j;
        let m: RegExpExecArray | null;
        let stop = n;
        while ((m = ifOrFi.exec(text)) !== null) {
          if (m[1] === 'fi') { if (--depth === 0) { stop = m.index + m[0].length; break; } } else depth++;
        }
        cut(i, stop);
        i = stop;
        continue;
      }
    }
    i = j;
  }
  parts.push(text.slice(copied));
  return { masked: parts.join(''), comments };
}

/** For each '{' of the text, the index just past its matching '}' (-1 when it never closes), in one pass. */
export function braceTable(src: string): Int32Array {
  const table = new Int32Array(src.length).fill(-1);
  const stack: number[] = [];
  const special = /\\[^]|[{}]/g;
  let m: RegExpExecArray | null;
  while ((m = special.exec(src)) !== null) {
    const c = m[0];
    if (c === '{') stack.push(m.index);
    else if (c === '}' && stack.length) table[stack.pop()!] = m.index + 1;
  }
  return table;
}

/** Index just past the bracket group opening at `at` ('[' … ']', braces inside skipped), or -1; at most `limit` characters. */
function matchBracket(src: string, braces: Int32Array, at: number, limit = 4000): number {
  const stop = Math.min(src.length, at + limit);
  for (let i = at + 1; i < stop; i++) {
    const ch = src[i];
    if (ch === '\\') i++;
    else if (ch === '{') { const e = braces[i]!; if (e < 0) return -1; i = e - 1; } else if (ch === ']') return i + 1;
  }
  return -1;
}

/** Index just past the brace group opening at `at` by a bounded scan (before a brace table exists), or -1. */
function matchBraceBounded(text: string, at: number, limit: number): number {
  let depth = 0;
  const stop = Math.min(text.length, at + limit);
  for (let i = at; i < stop; i++) {
    const ch = text[i];
    if (ch === '\\') { i++; continue; }
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

interface Group { content: string; start: number; end: number }

/** Reads a group (optional [..] or mandatory {..}) at `pos` after whitespace (no blank line); null if absent. */
function readGroup(src: string, braces: Int32Array, pos: number, open: '[' | '{', maxSpace = 200): Group | null {
  let k = pos;
  let newlines = 0;
  while (k < src.length && k - pos < maxSpace && /\s/.test(src[k]!)) { if (src[k] === '\n' && ++newlines > 1) return null; k++; }
  if (src[k] !== open) return null;
  const e = open === '{' ? braces[k]! : matchBracket(src, braces, k);
  if (e < 0) return null;
  return { content: src.slice(k + 1, e - 1), start: k, end: e };
}

export interface TheoremDef {
  name: string;
  counter: string | null;
  /** A conventional short name taken without its declaration being found. */
  guessed?: boolean;
  /**
   * A tcolorbox theorem (\newtcbtheorem): its environment takes {title}{marker} as arguments, and \ref labels are
   * this prefix, a colon, and the marker.
   */
  tcbPrefix?: string;
}
/** A theorem counter; `within` is a sectioning level or another counter (\\newtheorem{cor}{Corollary}[theorem]). */
export interface Counter { value: number; within?: string; printed?: string }

const LEVELS = ['chapter', 'section', 'subsection', 'subsubsection'];

function keyvals(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) { if (part.trim()) m.set(part.trim(), ''); continue; }
    m.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim().replace(/^\{(.*)\}$/s, '$1'));
  }
  return m;
}

function alpha(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s || '0';
}

/** What a LaTeX file declares: theorem-like, proof-like and verbatim environments, counters, the class. */
export interface LatexDeclarations {
  defs: Map<string, TheoremDef>;
  counters: Map<string, Counter>;
  proofEnvs: Set<string>;
  /** Environments whose content is not markup: hidden from the detector; the preview shows them as code. */
  verbatimEnvs: Set<string>;
  /** Those of verbatimEnvs that are comments (\excludecomment, \comment wrappers): the preview leaves them out. */
  commentEnvs: Set<string>;
  beamer: boolean;
  beamerNumbered: boolean;
}

export function emptyDeclarations(): LatexDeclarations {
  return { defs: new Map(), counters: new Map(), proofEnvs: new Set(), verbatimEnvs: new Set(), commentEnvs: new Set(), beamer: false, beamerNumbered: false };
}

/** `into` with `from`'s declarations added (a later declaration of the same name wins). */
export function mergeDeclarations(into: LatexDeclarations, from: LatexDeclarations): LatexDeclarations {
  for (const [k, v] of from.defs) into.defs.set(k, v);
  for (const [k, v] of from.counters) into.counters.set(k, { value: 0, ...(v.within ? { within: v.within } : {}) });
  for (const e of from.proofEnvs) into.proofEnvs.add(e);
  for (const e of from.verbatimEnvs) into.verbatimEnvs.add(e);
  for (const e of from.commentEnvs) into.commentEnvs.add(e);
  into.beamer ||= from.beamer;
  into.beamerNumbered ||= from.beamerNumbered;
  return into;
}

/** The declarations of one file's text (comments and verbatim already masked), given those known before it. */
export function declarationsOf(src: string, br: Int32Array = braceTable(src), known?: LatexDeclarations): LatexDeclarations {
  const d = readDeclarations(src, br);
  const envs = new Map<string, string>();
  for (const [k] of d.defs) envs.set(k, 'theorem');
  // \newenvironment{x}{…\begin{y}…}{…}: x is what y is (a theorem, a proof, verbatim); \lstnewenvironment and
  // fancyvrb's \DefineVerbatimEnvironment make code; \excludecomment and \newenvironment{x}{\comment}… hide.
  const wrap = /\\(newenvironment|renewenvironment|NewDocumentEnvironment|RenewDocumentEnvironment|lstnewenvironment|DefineVerbatimEnvironment|excludecomment|newtcblisting|DeclareTCBListing|NewTCBListing|Newassociation|newtcbtheorem|NewTcbTheorem)(?![A-Za-z@])\*?/g;
  let m: RegExpExecArray | null;
  while ((m = wrap.exec(src)) !== null) {
    let p = m.index + m[0].length;
    const cmd = m[1]!;
    if (cmd === 'newtcbtheorem' || cmd === 'NewTcbTheorem' || cmd === 'newtcblisting' || cmd === 'NewTCBListing' || cmd === 'DeclareTCBListing') {
      const o = readGroup(src, br, p, '[');
      if (o) p = o.end;
    }
    const env = readGroup(src, br, p, '{');
    if (!env) continue;
    const name = env.content.trim().replace(/^\\/, '');
    if (!/^[A-Za-z@]+\*?$/.test(name)) continue;
    p = env.end;
    if (cmd === 'lstnewenvironment' || cmd === 'DefineVerbatimEnvironment' || cmd === 'excludecomment' || cmd === 'newtcblisting' || cmd === 'DeclareTCBListing' || cmd === 'NewTCBListing') {
      d.verbatimEnvs.add(name);
      if (cmd === 'excludecomment') d.commentEnvs.add(name);
      continue;
    }
    if (cmd === 'Newassociation') {
      if (PROOFLIKE_ASSOCIATION.test(name)) d.proofEnvs.add(name);
      continue;
    }
    if (cmd === 'newtcbtheorem' || cmd === 'NewTcbTheorem') {
      const title = readGroup(src, br, p, '{');
      const options = title && readGroup(src, br, title.end, '{');
      const prefix = options && readGroup(src, br, options.end, '{');
      d.defs.set(name, { name: title?.content.trim() || capitalize(name), counter: name, tcbPrefix: prefix?.content.trim() || name });
      d.counters.set(name, { value: 0 });
      continue;
    }
    // \newenvironment{x}[n][default]{begin}{end}
    for (let k = 0; k < 2; k++) { const o = readGroup(src, br, p, '['); if (o) p = o.end; }
    if (cmd.startsWith('New') || cmd.startsWith('Renew')) { const spec = readGroup(src, br, p, '{'); if (spec) p = spec.end; }
    const begin = readGroup(src, br, p, '{');
    if (!begin) continue;
    if (/\\(comment|verbatim|VerbatimEnvironment|lstset\b[^]*\\lstnewenvironment)(?![A-Za-z@])/.test(begin.content) || /\\begin\s*\{(?:comment|verbatim|Verbatim|lstlisting|minted)\}/.test(begin.content)) {
      d.verbatimEnvs.add(name);
      if (/\\comment(?![A-Za-z@])|\\begin\s*\{comment\}/.test(begin.content)) d.commentEnvs.add(name);
      continue;
    }
    const inner = /\\begin\s*\{([A-Za-z@]+\*?)\}/.exec(begin.content)?.[1];
    if (!inner) continue;
    const innerDef = d.defs.get(inner) ?? known?.defs.get(inner);
    if (innerDef) d.defs.set(name, innerDef);
    else if (PROOF_ENVS.has(inner) || d.proofEnvs.has(inner) || known?.proofEnvs.has(inner)) d.proofEnvs.add(name);
  }
  // Wrapper macros that declare theorems with their arguments (\newcommand{\defthm}[2]{\newtheorem{#1}{#2}}):
  // each call is expanded once and read like a declaration.
  const wrappers = /\\(?:newtheorem|declaretheorem|spnewtheorem)\*?\s*(?:\[[^\]]*\]\s*)?\{\s*#\d/.test(src) ? scanMacros(src, src, new LineIndex(src), br) : [];
  for (const w of wrappers) {
    if (w.arguments === 0 || !/\\(newtheorem|declaretheorem|spnewtheorem)(?![A-Za-z@])/.test(w.body)) continue;
    const call = new RegExp(`${w.name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(?![A-Za-z@])`, 'g');
    let c: RegExpExecArray | null;
    while ((c = call.exec(src)) !== null) {
      if (c.index >= w.range.startOffset && c.index < w.range.endOffset) continue;
      let p = c.index + c[0].length;
      const args: string[] = [];
      for (let k = 0; k < w.arguments; k++) {
        const g = readGroup(src, br, p, '{');
        if (!g) break;
        args.push(g.content);
        p = g.end;
      }
      if (args.length !== w.arguments) continue;
      const expanded = w.body.replace(/#(\d)/g, (_, n: string) => args[Number(n) - 1] ?? '');
      const x = readDeclarations(expanded, braceTable(expanded));
      for (const [k, v] of x.defs) d.defs.set(k, v);
      for (const [k, v] of x.counters) d.counters.set(k, v);
    }
  }
  return d;
}

function readDeclarations(src: string, br: Int32Array): LatexDeclarations {
  const defs = new Map<string, TheoremDef>();
  const counters = new Map<string, Counter>();
  let beamer = false;
  let beamerNumbered = false;
  const decl = /\\(newtheorem|declaretheorem|numberwithin|documentclass|setbeamertemplate|spnewtheorem)(?![A-Za-z@])(\*?)/g;
  let m: RegExpExecArray | null;
  while ((m = decl.exec(src)) !== null) {
    let p = m.index + m[0].length;
    const cmd = m[1]!;
    if (cmd === 'newtheorem' || cmd === 'spnewtheorem') {
      const env = readGroup(src, br, p, '{');
      if (!env) continue;
      p = env.end;
      const shared = m[2] ? null : readGroup(src, br, p, '[');
      if (shared) p = shared.end;
      const printed = readGroup(src, br, p, '{');
      if (!printed) continue;
      p = printed.end;
      const within = m[2] || shared ? null : readGroup(src, br, p, '[');
      const envName = env.content.trim();
      const counterName = m[2] ? null : shared ? shared.content.trim() : envName;
      if (counterName === envName) counters.set(envName, { value: 0, ...(within ? { within: within.content.trim() } : {}) });
      defs.set(envName, { name: printed.content.trim() || capitalize(envName), counter: counterName });
      decl.lastIndex = (within ?? printed).end;
    } else if (cmd === 'declaretheorem') {
      const before = readGroup(src, br, p, '[');
      if (before) p = before.end;
      const env = readGroup(src, br, p, '{');
      if (!env) continue;
      const after = readGroup(src, br, env.end, '[');
      const kv = keyvals([before?.content, after?.content].filter(Boolean).join(','));
      for (const raw of env.content.split(',')) {
        const envName = raw.trim();
        if (!envName) continue;
        const name = kv.get('name') ?? kv.get('title') ?? capitalize(envName);
        const numbered = kv.get('numbered');
        const sibling = kv.get('sibling') ?? kv.get('numberlike') ?? kv.get('sharenumber');
        const within = kv.get('numberwithin') ?? kv.get('parent') ?? kv.get('within');
        let counter: string | null = envName;
        if (numbered === 'no' || m[2]) counter = null;
        else if (sibling) counter = sibling;
        else counters.set(envName, { value: 0, ...(within ? { within } : {}) });
        defs.set(envName, { name, counter });
      }
    } else if (cmd === 'numberwithin') {
      const a = readGroup(src, br, p, '{');
      const b = a && readGroup(src, br, a.end, '{');
      if (a && b) counters.set(a.content.trim(), { value: 0, within: b.content.trim() });
    } else if (cmd === 'documentclass') {
      const opt = readGroup(src, br, p, '[');
      const cls = readGroup(src, br, opt ? opt.end : p, '{');
      if (cls?.content.trim() === 'beamer') beamer = true;
    } else if (cmd === 'setbeamertemplate') {
      const a = readGroup(src, br, p, '{');
      const b = a && readGroup(src, br, a.end, '[');
      if (a?.content.trim() === 'theorems' && b?.content.trim() === 'numbered') beamerNumbered = true;
    }
  }
  return { defs, counters, proofEnvs: new Set(), verbatimEnvs: new Set(), commentEnvs: new Set(), beamer, beamerNumbered };
}

interface Frame {
  env: string;
  start: number;          // offset of \begin
  contentStart: number;   // after \begin{..}, overlay and optional title
  theorem?: { def: TheoremDef; kindName: string; number?: string; title?: string; firstProof?: number; tcbLabel?: string };
  /** `parent`: the start of the theorem this proof sits directly inside (an answers-package sketch in a problem). */
  proof?: { title?: string; parent?: number };
}

interface LatexResult { theorems: Theorem[]; macros: MacroDefinition[]; declarations: LatexDeclarations }

/**
 * Theorems, proofs and macros of one LaTeX text. `project`: what the rest of its project declares (the root's
 * preamble, local .sty/.cls files), read before the text's own declarations.
 */
export function scanLatex(text: string, project?: LatexDeclarations): LatexResult {
  const verbatim = new Set([...VERBATIM_ENVS, ...(project?.verbatimEnvs ?? [])]);
  let { masked: src, comments } = maskLatex(text, verbatim);
  let br = braceTable(src);
  const own = declarationsOf(src, br, project);
  if ([...own.verbatimEnvs].some(e => !verbatim.has(e))) {
    for (const e of own.verbatimEnvs) verbatim.add(e);
    ({ masked: src, comments } = maskLatex(text, verbatim));
    br = braceTable(src);
  }
  const decl = mergeDeclarations(project ? mergeDeclarations(emptyDeclarations(), project) : emptyDeclarations(), own);
  const { defs, counters, beamer, beamerNumbered } = decl;
  const proofEnvs = new Set([...PROOF_ENVS, ...decl.proofEnvs]);
  const lines = new LineIndex(text);
  // Environments closed as often as opened: their \end is never inferred (a sketch nested in a problem).
  const beginsEnds = new Map<string, number>();
  for (const x of src.matchAll(/\\(begin|end)\s*\{([^{}\n]*)\}/g)) beginsEnds.set(x[2]!.trim(), (beginsEnds.get(x[2]!.trim()) ?? 0) + (x[1] === 'begin' ? 1 : -1));

  const theoremDef = (env: string): { def: TheoremDef; kindName: string } | null => {
    const d = defs.get(env);
    if (d) return { def: d, kindName: env.replace(/\*$/, '') };
    const base = env.replace(/\*$/, '');
    const starred = base !== env;
    const bd = defs.get(base);
    if (bd) return { def: { ...bd, counter: starred ? null : bd.counter }, kindName: base };
    if (beamer && BEAMER_KINDS.includes(base)) return { def: { name: capitalize(base), counter: beamerNumbered && !starred ? 'theorem' : null }, kindName: base };
    if (BASE_KINDS.includes(base)) {
      if (!starred && !counters.has(base)) counters.set(base, { value: 0 });
      return { def: { name: capitalize(base), counter: starred ? null : base }, kindName: base };
    }
    const guess = GUESSED_KINDS[base];
    if (guess) {
      if (!starred && !counters.has(base)) counters.set(base, { value: 0 });
      return { def: { name: guess, counter: starred ? null : base, guessed: true }, kindName: base };
    }
    return null;
  };
  if (beamer && beamerNumbered && !counters.has('theorem')) counters.set('theorem', { value: 0 });

  // Section counters, as \thechapter, \thesection, … would print them.
  const sect = new Map<string, number>(LEVELS.map(l => [l, 0]));
  let chaptersUsed = /\\chapter\*?\s*[{[]/.test(src);
  let appendix = false;
  const theLevel = (level: string): string => {
    const idx = LEVELS.indexOf(level);
    if (idx < 0) return '';
    const v = sect.get(level)!;
    const own = appendix && ((level === 'chapter' && chaptersUsed) || (level === 'section' && !chaptersUsed)) ? alpha(v) : String(v);
    if (idx === 0) return own;
    if (idx === 1 && !chaptersUsed) return own;
    return `${theLevel(LEVELS[idx - 1]!)}.${own}`;
  };
  const step = (counterName: string): string | undefined => {
    const c = counters.get(counterName);
    if (!c) return undefined;
    c.value++;
    for (const d of counters.values()) if (d.within === counterName) d.value = 0;
    const w = c.within;
    c.printed = !w ? String(c.value) : LEVELS.includes(w) ? `${theLevel(w)}.${c.value}` : `${counters.get(w)?.printed ?? '0'}.${c.value}`;
    return c.printed;
  };

  const theorems: Theorem[] = [];
  const proofs = new Map<number, Proof>();
  /** Proof start → start of the theorem it sits directly inside. */
  const nestedIn = new Map<number, number>();
  const stack: Frame[] = [];
  /** How many frames of each environment are on the stack (a stray \end then costs no search). */
  const open = new Map<string, number>();
  let openTheoremLike = 0;
  const push = (f: Frame): void => {
    stack.push(f);
    open.set(f.env, (open.get(f.env) ?? 0) + 1);
    if (f.theorem || f.proof) openTheoremLike++;
  };

  const statementOf = (a: number, b: number): string => {
    // The original text with comments and \label{…} left out; lines that held only a comment are dropped.
    let out = '';
    let pos = a;
    for (const [cs, ce] of commentsIn(comments, a, b)) { out += text.slice(pos, cs) + '\uE000'; pos = ce; }
    out += text.slice(pos, b);
    out = out.replace(/\\label\s*\{[^{}]*\}/g, '');
    return out.split('\n').filter(l => !/^\s*\uE000\s*$/.test(l)).map(l => trimEndSpaces(l.replace(/\uE000/g, ''))).join('\n').trim();
  };

  // Trimmed over the masked text: a trailing comment is not part of a statement or proof body.
  const trimmed = (a: number, b: number): Range => {
    while (a < b && /\s/.test(src[a]!)) a++;
    return lines.range(a, trimEnd(b, a));
  };
  const trimEnd = (e: number, floor: number): number => {
    while (e > floor && /\s/.test(src[e - 1]!)) e--;
    return e;
  };

  // Close the frame at stack[idx] (and everything above it); `at` is where its \end starts (or the inferred end).
  const close = (idx: number, at: number, endTokenEnd: number | null): void => {
    while (stack.length > idx) {
      const f = stack.pop()!;
      open.set(f.env, open.get(f.env)! - 1);
      if (f.theorem || f.proof) openTheoremLike--;
      const complete = stack.length === idx && endTokenEnd !== null;
      const contentEnd0 = complete ? at : trimEnd(at, f.contentStart);
      const end = complete ? endTokenEnd : contentEnd0;
      // A statement ends where a proof nested in it (an answers-package sketch) begins.
      const contentEnd = f.theorem?.firstProof !== undefined ? trimEnd(f.theorem.firstProof, f.contentStart) : contentEnd0;
      if (f.theorem) {
        let s = f.contentStart;
        const lead = /\s*(?:\\label\s*\{[^{}]*\}\s*)*/y;
        lead.lastIndex = s;
        const lm = lead.exec(src);
        if (lm) s += lm[0].length;
        const t = f.theorem;
        const label = /\\label\s*\{([^{}]*)\}/.exec(src.slice(f.contentStart, contentEnd))?.[1]?.trim() ?? t.tcbLabel;
        theorems.push({
          kind: t.kindName.toLowerCase(), name: t.def.name, ...(t.number ? { number: t.number } : {}), ...(t.title ? { title: t.title } : {}),
          label: displayLabel(t.def.name, t.number, t.title), ...(label ? { latexLabel: label } : {}),
          statement: statementOf(f.contentStart, contentEnd), syntax: 'environment', environment: f.env,
          range: lines.range(f.start, end), statementRange: trimmed(Math.min(s, contentEnd), contentEnd), complete,
          ...(t.def.guessed ? { guessed: true } : {}),
        });
      } else if (f.proof) {
        const bodyRange = trimmed(f.contentStart, contentEnd);
        if (f.proof.parent !== undefined) {
          nestedIn.set(f.start, f.proof.parent);
          const parent = stack.find(x => x.start === f.proof!.parent)?.theorem;
          if (parent && parent.firstProof === undefined) parent.firstProof = f.start;
        }
        proofs.set(f.start, {
          range: lines.range(f.start, end), bodyRange, body: text.slice(bodyRange.startOffset, bodyRange.endOffset),
          style: { kind: 'latex-environment', environment: f.env }, ...(f.proof.title ? { title: f.proof.title } : {}), complete,
        });
      }
    }
  };

  const token = /\\(begin|end)\s*\{([^{}\n]*)\}|\\(chapter|section|subsection|subsubsection|appendix)(?![A-Za-z@])(\*?)|\\setcounter\s*\{([^{}]*)\}\s*\{\s*(-?\d+)\s*\}/g;
  // Theorems live in the body: the preamble's definitions (\newcommand{\x}{\begin{lemma}…}) are no theorems.
  const body = /\\begin\s*\{document\}/.exec(src);
  if (body) token.lastIndex = body.index;
  let m: RegExpExecArray | null;
  while ((m = token.exec(src)) !== null) {
    const at = m.index;
    if (m[5] !== undefined) {
      const name = m[5].trim();
      const v = Number.parseInt(m[6]!, 10);
      if (sect.has(name)) sect.set(name, v);
      else { const c = counters.get(name); if (c) c.value = v; }
      continue;
    }
    if (m[3]) {
      // Sectioning: nothing theorem-like spans it.
      const firstOpen = openTheoremLike ? stack.findIndex(f => f.theorem || f.proof) : -1;
      if (firstOpen >= 0) close(firstOpen, at, null);
      if (m[3] === 'appendix') {
        appendix = true;
        sect.set(chaptersUsed ? 'chapter' : 'section', 0);
        continue;
      }
      if (m[4]) continue;
      if (m[3] === 'chapter') chaptersUsed = true;
      const li = LEVELS.indexOf(m[3]);
      sect.set(m[3], sect.get(m[3])! + 1);
      for (const l of LEVELS.slice(li + 1)) sect.set(l, 0);
      for (const c of counters.values()) if (c.within && LEVELS.indexOf(c.within) >= li) c.value = 0;
      continue;
    }
    const env = m[2]!.trim();
    if (m[1] === 'end') {
      if (!open.get(env)) continue; // a stray \end
      let idx = stack.length - 1;
      while (idx >= 0 && stack[idx]!.env !== env) idx--;
      if (idx >= 0) close(idx, at, at + m[0].length);
      continue;
    }
    const top = stack[stack.length - 1];
    const td = theoremDef(env);
    const isProof = proofEnvs.has(env);
    if (top && (td || isProof) && (beginsEnds.get(top.env) ?? 0) > 0) {
      // A missing \end: a theorem does not directly contain another theorem or a proof; a proof ends at a new
      // top-level kind of theorem (but may contain claims and the proofs of those).
      if (top.theorem || (top.proof && td && !NESTABLE_IN_PROOF.has(td.kindName))) close(stack.length - 1, at, null);
    }
    let p = at + m[0].length;
    const overlay = /[ \t]*<[^<>\n]*>/y;
    overlay.lastIndex = p;
    const om = overlay.exec(src);
    if (om) p += om[0].length;
    if (td || isProof) {
      const opt = readGroup(src, br, p, '[');
      let title = opt ? text.slice(opt.start + 1, opt.end - 1).trim() : undefined;
      if (opt) p = opt.end;
      let tcbLabel: string | undefined;
      if (td?.def.tcbPrefix !== undefined) {
        const titleArg = readGroup(src, br, p, '{');
        const marker = titleArg && readGroup(src, br, titleArg.end, '{');
        if (marker) {
          title = text.slice(titleArg.start + 1, titleArg.end - 1).trim() || title;
          const m = text.slice(marker.start + 1, marker.end - 1).trim();
          if (m) tcbLabel = `${td.def.tcbPrefix}:${m}`;
          p = marker.end;
        }
      }
      if (td) {
        const number = td.def.counter ? step(td.def.counter) : undefined;
        push({ env, start: at, contentStart: p, theorem: { ...td, ...(number ? { number } : {}), ...(title ? { title } : {}), ...(tcbLabel ? { tcbLabel } : {}) } });
      } else {
        let parent: number | undefined;
        for (let k = stack.length - 1; k >= 0; k--) {
          const f = stack[k]!;
          if (f.theorem) { parent = f.start; break; }
          if (f.proof) break;
        }
        push({ env, start: at, contentStart: p, proof: { ...(title ? { title } : {}), ...(parent !== undefined ? { parent } : {}) } });
      }
    } else {
      push({ env, start: at, contentStart: p });
    }
  }
  if (stack.length) close(0, src.length, null);

  theorems.sort((a, b) => a.range.startOffset - b.range.startOffset);
  attachProofs(src, theorems, proofs, nestedIn);
  return { theorems, macros: scanMacros(text, src, lines, br), declarations: decl };
}

/**
 * Gives each proof to the statement it proves, in this order: the theorem it sits directly inside; the theorem it
 * names (\begin{proof}[Proof of Theorem~\ref{x}]); the theorem it directly follows, or the one before an aside
 * (a question or remark) it follows; else, after intervening prose, the nearest earlier theorem still without a
 * proof, when no other proof lies between. A second proof of an already proved theorem stays unattached.
 */
function attachProofs(src: string, theorems: Theorem[], proofs: Map<number, Proof>, nestedIn: Map<number, number>): void {
  const byStart = new Map(theorems.map(t => [t.range.startOffset, t]));
  const byLabel = new Map(theorems.filter(t => t.latexLabel).map(t => [t.latexLabel!, t]));
  const taken = new Set<number>();
  const give = (t: Theorem | undefined, at: number): boolean => {
    if (!t || t.proof || taken.has(at)) return false;
    t.proof = proofs.get(at)!;
    taken.add(at);
    return true;
  };
  for (const [at, parent] of nestedIn) give(byStart.get(parent), at);
  for (const [at, p] of proofs) {
    const ref = p.title ? /\\(?:c|C|auto|name)?ref\s*\{([^{}]*)\}/.exec(p.title)?.[1]?.trim() : undefined;
    if (ref && !nestedIn.has(at)) give(byLabel.get(ref), at);
  }
  const isAside = (t: Theorem): boolean => ASIDE_KINDS.has(t.kind.replace(/\*$/, ''));
  const inside = (t: Theorem, at: number): boolean => t.range.startOffset < at && at < t.range.endOffset;
  for (let k = 0; k < theorems.length; k++) {
    const t = theorems[k]!;
    const at = skipFiller(src, t.range.endOffset);
    if (!proofs.has(at) || taken.has(at)) continue;
    if (isAside(t)) {
      // theorem, question, proof: the proof answers the theorem when the question directly follows it.
      const prev = theorems[k - 1];
      if (prev && !prev.proof && !isAside(prev) && skipFiller(src, prev.range.endOffset) === t.range.startOffset && give(prev, at)) continue;
    }
    give(t, at);
  }
  const sortedProofs = [...proofs.keys()].sort((a, b) => a - b);
  for (let k = 0; k < sortedProofs.length; k++) {
    const at = sortedProofs[k]!;
    if (taken.has(at) || nestedIn.has(at)) continue;
    // The nearest theorem ending before the proof, not around it, skipping asides.
    let j = theorems.length - 1;
    while (j >= 0 && (theorems[j]!.range.endOffset > at || isAside(theorems[j]!))) {
      if (inside(theorems[j]!, at)) break;
      j--;
    }
    const t = j >= 0 ? theorems[j] : undefined;
    if (!t || t.proof || inside(t, at)) continue;
    const previousProof = k > 0 ? sortedProofs[k - 1]! : -1;
    if (previousProof > t.range.endOffset) continue;
    give(t, at);
  }
}

/** Trailing spaces, tabs and \r removed (a loop: a regex like /[ \t]+$/ is quadratic on long runs of spaces). */
export function trimEndSpaces(s: string): string {
  let e = s.length;
  while (e > 0) { const c = s.charCodeAt(e - 1); if (c === 32 || c === 9 || c === 13) e--; else break; }
  return e === s.length ? s : s.slice(0, e);
}

function* commentsIn(comments: Array<[number, number]>, a: number, b: number): Generator<[number, number]> {
  let lo = 0;
  let hi = comments.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (comments[mid]![1] <= a) lo = mid + 1; else hi = mid; }
  for (let i = lo; i < comments.length && comments[i]![0] < b; i++) {
    const [s, e] = comments[i]!;
    yield [Math.max(s, a), Math.min(e, b)];
  }
}

/** Skips whitespace (comments are already blank) and spacing commands between a theorem and its proof. */
function skipFiller(src: string, from: number): number {
  const filler = /(?:\s|\\(?:medskip|smallskip|bigskip|noindent|par|pause|nopagebreak|vspace\*?\s*\{[^{}]*\})(?![A-Za-z]))*/y;
  filler.lastIndex = from;
  const m = filler.exec(src);
  return from + (m ? m[0].length : 0);
}

/** \newcommand, \renewcommand, \providecommand (starred or not), \DeclareMathOperator(*), \def in simple forms. */
export function scanMacros(text: string, src: string, lines: LineIndex, br: Int32Array = braceTable(src)): MacroDefinition[] {
  const out: MacroDefinition[] = [];
  const re = /\\(newcommand|renewcommand|providecommand|DeclareMathOperator|def)(?![A-Za-z@])(\*?)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) {
    const kind = m[1] as MacroKind;
    let p = m.index + m[0].length;
    let name: string | undefined;
    let args = 0;
    let optionalDefault: string | undefined;
    if (kind === 'def') {
      const nm = /\s*(\\(?:[A-Za-z@]+|.))((?:#\d)*)\s*/y;
      nm.lastIndex = p;
      const x = nm.exec(src);
      if (!x) continue;
      name = x[1];
      args = (x[2]!.match(/#/g) ?? []).length;
      p += x[0].length;
    } else {
      const g = readGroup(src, br, p, '{');
      if (g) { name = g.content.trim(); p = g.end; } else {
        const nm = /\s*(\\(?:[A-Za-z@]+|.))/y;
        nm.lastIndex = p;
        const x = nm.exec(src);
        if (!x) continue;
        name = x[1];
        p += x[0].length;
      }
      if (kind !== 'DeclareMathOperator') {
        const a = readGroup(src, br, p, '[');
        if (a) {
          args = Number.parseInt(a.content.trim(), 10) || 0;
          p = a.end;
          const d = readGroup(src, br, p, '[');
          if (d) { optionalDefault = text.slice(d.start + 1, d.end - 1); p = d.end; }
        }
      }
    }
    if (!name || !name.startsWith('\\')) continue;
    const body = readGroup(src, br, p, '{');
    if (!body) continue;
    out.push({
      kind, name, arguments: args, ...(optionalDefault !== undefined ? { optionalDefault } : {}),
      body: text.slice(body.start + 1, body.end - 1), starred: m[2] === '*',
      source: text.slice(m.index, body.end), range: lines.range(m.index, body.end),
    });
    re.lastIndex = body.end;
  }
  return out;
}
