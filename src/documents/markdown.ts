// Theorems and proofs of a Markdown document (also Quarto .qmd, MyST, .mdx), found line by line.
//   Theorems: bold/italic lead-ins (**Theorem 2 (AM-GM).** …, *Lemma.*, __Problem 3.__), also inside blockquotes;
//             headings (### Theorem (AM-GM): the statement runs to the next heading or proof);
//             fenced divs (::: theorem, ::: {.lemma}, Quarto ::: {#thm-x}, MyST :::{prf:theorem} Title and
//             ```{prf:theorem}).
//   Proofs:   right after a theorem (blank lines between): *Proof.* … ∎ (any end marker, or none), ### Proof,
//             ::: proof / ::: {.proof} / :::{prf:proof}.
//   Nothing inside fenced code blocks (``` and ~~~), HTML comments or YAML front matter counts.
import type { Proof, ProofStyle, Theorem, TheoremSyntax } from './model';
import { trimEndSpaces } from './latex';
import { BASE_KINDS, KIND_ALIASES, LineIndex, capitalize, displayLabel } from './text';

const KIND_WORDS = BASE_KINDS.map(capitalize).join('|');
const NUM = String.raw`(?:\d+(?:\.\d+)*[a-z]?|[A-Z](?:\.\d+)*)`;
/** **Theorem 2 (AM-GM).** / *Lemma.* / __Problem 3.__ / **Theorem 2** (AM-GM). — groups: delimiter, kind, number, title, title after. */
// Whitespace and titles have bounded lengths in these patterns, so that no line makes them backtrack for long.
const LEAD_IN = new RegExp(
  String.raw`^(\*\*|__|\*|_)(${KIND_WORDS})(?:[ \t]{1,8}(${NUM}))?[ \t]{0,8}(?:[(\[]([^)\]\n]{0,300})[)\]])?[ \t]{0,8}[.:]?\1(?![*_])[ \t]{0,8}(?:[(\[]([^)\]\n]{0,300})[)\]])?[ \t]{0,8}[.:]?[ \t]{0,8}`, 'i');
const PROOF_LEAD_IN = /^(\*\*|__|\*|_)(Proof|Solution)(?![A-Za-z])([^*_\n]{0,300}?)[ \t]{0,8}[.:]?\1(?![*_])[ \t]{0,8}[.:]?[ \t]{0,8}/i;
const HEADING_THEOREM = new RegExp(String.raw`^(${KIND_WORDS})(?:[ \t]{1,8}(${NUM}))?[ \t]{0,8}(?:[(\[]([^)\]\n]{0,300})[)\]])?[ \t]{0,8}(?:[.:—–-](.*))?$`, 'i');
const HEADING_PROOF = /^(Proof|Solution)(?![A-Za-z])(.*)$/i;
/** Any other bold lead-in (**Definition 3.**, **Remark.**, __Note:__): it ends a statement or a proof without an end marker. */
const OTHER_LEAD_IN = new RegExp(String.raw`^(\*\*|__)[A-Z][A-Za-z-]{1,30}(?:[ \t]{1,8}${NUM})?[ \t]{0,8}(?:\([^)\n]{0,300}\))?[ \t]{0,8}[.:]\1`);
const END_MARKER = /(?:^|\s)(\$\\(?:blacksquare|square|Box|qed|qedsymbol|boxtimes)\$|\\qed|∎|□|■|◻|◼|Q\.E\.D\.?|QED)[ \t]*$/;
const QUOTE = /^(?: {0,3}>[ \t]?)+/;
const COLON_FENCE = /^ {0,3}(:{3,})(.*)$/;
const CODE_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*(.*)$/;
/** Quarto cross-reference ids that number a div: #thm-x, #lem-x, … */
const QUARTO_PREFIX = /^(thm|lem|cor|prp|cnj|def|exm|exr)-/;
const HR = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;

interface Div {
  open: number; close: number; kind?: string; proof: boolean; flavor: 'pandoc' | 'myst'; title?: string; id?: string; nonumber: boolean; fence: string;
  /** A MyST directive's name when it is no theorem kind ({prf:definition} → "definition"): a statement only when a proof follows it. */
  directive?: string;
}

interface Line { start: number; masked: string; code: boolean; div?: Div; closesDiv: boolean }

/** An ATX heading: its level and text (without the closing #s), in linear time; null if the line is none. */
function heading(line: string): { level: number; text: string } | null {
  const m = /^ {0,3}(#{1,6})(?:[ \t]|$)/.exec(line);
  if (!m) return null;
  let text = line.slice(m[0].length).trim();
  let k = text.length;
  while (k > 0 && text[k - 1] === '#') k--;
  if (k === 0) text = '';
  else if (k < text.length && (text[k - 1] === ' ' || text[k - 1] === '\t')) text = text.slice(0, k).trimEnd();
  return { level: m[1]!.length, text };
}

/** Heading text without a final period: "Theorem 3 (AM-GM)." → "Theorem 3 (AM-GM)". */
function headingCore(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1).trimEnd() : text;
}

function kindOfWord(w: string, extra?: ReadonlySet<string>): string | undefined {
  const k = w.toLowerCase();
  if (BASE_KINDS.includes(k) || extra?.has(k)) return k;
  return KIND_ALIASES[k];
}

/** An Obsidian callout's first line: `> [!lemma] Title`, `>[!important] Claim 1` (the quote prefix already removed). */
const CALLOUT = /^\[!([A-Za-z-]{1,40})\][+-]?[ \t]{0,8}(.{0,300})$/;

/** The kind a callout states: its type (`[!theorem]`), else the first word of its title (`[!important] Lemma`). */
function calloutKind(type: string, title: string): { kind: string; number?: string; title?: string } | null {
  const byType = kindOfWord(type);
  if (byType) return { kind: byType, ...(title.trim() ? { title: title.trim() } : {}) };
  const m = new RegExp(String.raw`^(${KIND_WORDS})(?:[ \t]+(${NUM}))?[ \t]*(?:[(\[]([^)\]]*)[)\]])?[ \t]*[.:]?[ \t]*$`, 'i').exec(title.trim());
  if (!m) return null;
  return { kind: m[1]!.toLowerCase(), ...(m[2] ? { number: m[2] } : {}), ...(m[3] ? { title: m[3].trim() } : {}) };
}

/** Statement kinds a Pandoc statement filter declares in the front matter (`statement-kinds:` keys). */
function frontMatterKinds(lines: string[]): Set<string> {
  const kinds = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const h = /^([ \t]*)statement-kinds:[ \t]*$/.exec(lines[i]!);
    if (!h) continue;
    let child = -1;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (/^\s*(#.*)?$/.test(l)) continue;
      const ind = l.length - l.trimStart().length;
      if (ind <= h[1]!.length) break;
      if (child < 0) child = ind;
      const k = ind === child ? /^\s*([A-Za-z][\w-]*)\s*:/.exec(l) : null;
      if (k) kinds.add(k[1]!.toLowerCase());
    }
  }
  return kinds;
}

/** Parses a div's attributes: "theorem", "{.lemma #lem-x title=\"…\"}", "{prf:theorem} Title", "{#thm-x}". */
export function parseDivInfo(info: string, extraKinds?: ReadonlySet<string>): Omit<Div, 'open' | 'close' | 'fence'> | null {
  const myst = /^\{prf:([A-Za-z]+)\}[ \t]*(.*)$/.exec(info) ?? /^\{(solution|exercise)\}[ \t]*(.*)$/.exec(info);
  if (myst) {
    const d = myst[1]!.toLowerCase();
    const title = myst[2]!.trim();
    return { flavor: 'myst', proof: d === 'proof' || d === 'solution', ...(kindOfWord(d) ? { kind: kindOfWord(d)! } : {}), ...(title ? { title } : {}), nonumber: false, directive: d };
  }
  let classes: string[] = [];
  let id: string | undefined;
  let title: string | undefined;
  const braces = /^\{(.*)\}$/.exec(info);
  if (braces) {
    const attrs = braces[1]!;
    for (const m of attrs.matchAll(/([.#]?)([\w:-]+)(?:=(?:"([^"]*)"|'([^']*)'|(\S+)))?/g)) {
      if (m[1] === '.') classes.push(m[2]!.toLowerCase());
      else if (m[1] === '#') id = m[2]!;
      else if (/^(title|name)$/i.test(m[2]!)) title = m[3] ?? m[4] ?? m[5];
    }
  } else {
    classes = info.split(/\s+/).filter(Boolean).map(s => s.toLowerCase());
  }
  const proof = classes.includes('proof') || classes.includes('solution');
  let kind = classes.map(c => kindOfWord(c, extraKinds)).find(Boolean);
  if (!kind && id) kind = kindOfWord(id.split('-')[0]!);
  if (!kind && !proof) return null;
  return { flavor: 'pandoc', proof, ...(kind ? { kind } : {}), ...(title ? { title } : {}), ...(id ? { id } : {}), nonumber: false };
}

/** A div record of one shape (object spreads here made pass 1 several times slower on div-heavy documents). */
function makeDiv(d: Omit<Div, 'open' | 'close' | 'fence'> | null, open: number, fence: string, flavor: Div['flavor'] = 'pandoc'): Div {
  return { open, close: -1, kind: d?.kind, proof: d?.proof ?? false, flavor: d?.flavor ?? flavor, title: d?.title, id: d?.id, nonumber: d?.nonumber ?? false, fence, directive: d?.directive };
}

export interface MarkdownResult {
  theorems: Theorem[];
  /** The text with code blocks, front matter and HTML comments replaced by spaces (offsets kept). */
  masked: string;
}

export function scanMarkdown(text: string): MarkdownResult {
  const idx = new LineIndex(text);
  const raw = text.split('\n');
  const lines: Line[] = [];

  // Pass 1: code, comments, front matter, and which fence closes which div.
  let code: { ch: string; len: number } | null = null;
  let inComment = false;
  const divStack: Div[] = [];
  let extraKinds: Set<string> | undefined;
  let frontMatter = raw[0]?.replace(/\r$/, '') === '---';
  const frontLines: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!.replace(/\r$/, '');
    const line: Line = { start: idx.starts[i]!, masked: r, code: false, closesDiv: false };
    lines.push(line);
    if (frontMatter) {
      line.code = true;
      if (i > 0 && /^(---|\.\.\.)\s*$/.test(r)) frontMatter = false;
      else if (i > 0) frontLines.push(r);
      if (!frontMatter) extraKinds = frontMatterKinds(frontLines);
      continue;
    }
    if (code) {
      line.code = true;
      const c = CODE_FENCE.exec(r);
      if (c && c[1]![0] === code.ch && c[1]!.length >= code.len && c[2]!.trim() === '') code = null;
      continue;
    }
    // HTML comments become spaces.
    let masked = '';
    let pos = 0;
    while (pos <= r.length) {
      if (inComment) {
        const e = r.indexOf('-->', pos);
        if (e < 0) { masked += ' '.repeat(r.length - pos); break; }
        masked += ' '.repeat(e + 3 - pos);
        pos = e + 3;
        inComment = false;
      } else {
        const s = r.indexOf('<!--', pos);
        if (s < 0) { masked += r.slice(pos); break; }
        masked += r.slice(pos, s);
        pos = s;
        inComment = true;
      }
    }
    line.masked = masked;
    const body = masked.replace(QUOTE, '');
    const cf = CODE_FENCE.exec(body);
    if (cf) {
      const info = cf[2]!.trim();
      const close = divStack.length && divStack[divStack.length - 1]!.fence[0] === cf[1]![0] && cf[1]!.length >= divStack[divStack.length - 1]!.fence.length && info === '';
      if (close) { divStack.pop()!.close = i; line.closesDiv = true; continue; }
      const d = /^\{[^}]*\}/.test(info) ? parseDivInfo(info, extraKinds) : null;
      if (d) { line.div = makeDiv(d, i, cf[1]!); divStack.push(line.div); continue; }
      if (/^\{/.test(info) && cf[1]![0] === '`') { divStack.push(makeDiv(null, i, cf[1]!, 'myst')); continue; }
      code = { ch: cf[1]![0]!, len: cf[1]!.length };
      line.code = true;
      continue;
    }
    const colon = COLON_FENCE.exec(body);
    if (colon) {
      colon[2] = colon[2]!.trim();
      if (colon[2] === '') {
        for (let k = divStack.length - 1; k >= 0; k--) {
          if (divStack[k]!.fence[0] === ':') { divStack[k]!.close = i; divStack.length = k; line.closesDiv = true; break; }
        }
      } else {
        const d = parseDivInfo(colon[2]!, extraKinds);
        const div = makeDiv(d, i, colon[1]!);
        if (d) line.div = div;
        divStack.push(div);
      }
    }
  }

  // Per line, computed once: the blockquote prefix's length and depth.
  const prefixLen = new Int32Array(lines.length).fill(-1);
  const depths = new Int32Array(lines.length);
  const prefix = (i: number): number => {
    if (prefixLen[i]! < 0) {
      const q = QUOTE.exec(lines[i]!.masked)?.[0] ?? '';
      prefixLen[i] = q.length;
      let d = 0;
      for (let k = 0; k < q.length; k++) if (q[k] === '>') d++;
      depths[i] = d;
    }
    return prefixLen[i]!;
  };
  const quoteDepth = (i: number): number => { prefix(i); return depths[i]!; };
  const content = (i: number): string => { const n = prefix(i); return n ? lines[i]!.masked.slice(n) : lines[i]!.masked; };
  const contentStart = (i: number): number => lines[i]!.start + prefix(i);
  const lineEnd = (i: number): number => lines[i]!.start + lines[i]!.masked.length;
  const blank = (i: number): boolean => !lines[i]!.code && content(i).trim() === '';
  const nonBlankFrom = (i: number): number => { while (i < lines.length && blank(i)) i++; return i; };

  type Opener = 'theorem' | 'proof' | 'heading' | 'fence' | 'hr' | 'other' | null;
  const openers = new Array<Opener | undefined>(lines.length);
  const openerAt = (i: number): Opener => (openers[i] ??= classify(i));
  const classify = (i: number): Opener => {
    const l = lines[i]!;
    if (l.code) return null;
    if (l.div) return l.div.proof ? 'proof' : 'theorem';
    if (l.closesDiv || COLON_FENCE.test(content(i))) return 'fence';
    const c = content(i).trimStart();
    if (heading(c)) return 'heading';
    if (quoteDepth(i) > 0) { const co = CALLOUT.exec(c); if (co && calloutKind(co[1]!, co[2]!)) return 'theorem'; }
    if (HR.test(c)) return 'hr';
    if (LEAD_IN.test(c)) return 'theorem';
    if (PROOF_LEAD_IN.test(c)) return 'proof';
    if (OTHER_LEAD_IN.test(c)) return 'other';
    return null;
  };

  const theorems: Theorem[] = [];
  /** Per theorem: its first and last line. */
  const spans: Array<{ first: number; last: number }> = [];
  /** Lines of proofs already given to a theorem. */
  const taken = new Set<number>();
  const autoNumbers = new Map<string, number>();
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.code) { i++; continue; }
    const c = content(i);
    const lead = c.length - c.trimStart().length;
    const ct = c.trimStart();
    let found: { syntax: TheoremSyntax; kind: string; number?: string; title?: string; id?: string; stmtStart: number; stmtEnd: number; lastLine: number; end: number; complete: boolean; text: string; nestedProof?: number } | null = null;
    const callout = quoteDepth(i) > 0 ? CALLOUT.exec(ct) : null;
    const calloutK = callout ? calloutKind(callout[1]!, callout[2]!) : null;

    // A MyST directive of another kind (a definition) that a proof follows states what that proof proves.
    const provedDirective = !!l.div && !l.div.proof && !l.div.kind && !!l.div.directive && l.div.close >= 0 && nonBlankFrom(l.div.close + 1) < lines.length && openerAt(nonBlankFrom(l.div.close + 1)) === 'proof';
    if (l.div && !l.div.proof && (l.div.kind || provedDirective)) {
      const d = l.div;
      const divKind = d.kind ?? d.directive!;
      const last = d.close >= 0 ? d.close : lastFilled(inferredEnd(i + 1), i);
      let s = i + 1;
      let id = d.id;
      let title = d.title;
      // MyST options (:label: x, :nonumber:) and a Quarto heading as the title.
      for (; s < (d.close >= 0 ? d.close : last + 1); s++) {
        const o = /^[ \t]*:([A-Za-z-]+):(.*)$/.exec(content(s));
        if (!o || d.flavor !== 'myst') break;
        if (o[1] === 'label') id = o[2]!.trim();
        if (o[1] === 'nonumber') d.nonumber = true;
      }
      s = nonBlankFrom(s);
      const h = s < lines.length && s <= last ? heading(content(s)) : null;
      if (h && d.flavor === 'pandoc') { title ??= h.text; s++; }
      // A proof div nested in the theorem div (Pandoc) is its proof; the statement ends before it.
      let nestedProof: number | undefined;
      for (let k = s; d.close >= 0 && k < d.close; k++) {
        const kd = lines[k]!.div;
        if (kd?.proof) { nestedProof = k; break; }
        if (kd && kd.close > k) k = kd.close;
      }
      const bodyEndLine = nestedProof !== undefined ? lastFilled(nestedProof, s - 1) : d.close >= 0 ? d.close - 1 : last;
      const a = s <= bodyEndLine ? contentStart(s) : lineEnd(i);
      const b = Math.max(a, bodyEndLine >= s ? lineEnd(bodyEndLine) : a);
      let number: string | undefined;
      if ((d.flavor === 'myst' && !d.nonumber) || (d.flavor === 'pandoc' && id && QUARTO_PREFIX.test(id))) {
        const key = d.flavor === 'myst' ? divKind : id!.split('-')[0]!;
        autoNumbers.set(key, (autoNumbers.get(key) ?? 0) + 1);
        number = String(autoNumbers.get(key));
      }
      found = {
        syntax: 'fenced-div', kind: divKind, ...(number ? { number } : {}), ...(title ? { title } : {}), ...(id ? { id } : {}),
        stmtStart: a, stmtEnd: b, lastLine: last, end: d.close >= 0 ? lineEnd(d.close) : lineEnd(last), complete: d.close >= 0,
        text: linesText(a, b), ...(nestedProof !== undefined ? { nestedProof } : {}),
      };
    } else if (calloutK) {
      // An Obsidian callout: the statement is the rest of the quote.
      const depth = quoteDepth(i);
      let last = i;
      for (let j = i + 1; j < lines.length && !lines[j]!.code && quoteDepth(j) >= depth; j++) if (content(j).trim() !== '') last = j;
      const a = last > i ? contentStart(i + 1) : lineEnd(i);
      const b = Math.max(a, lineEnd(last));
      found = {
        syntax: 'lead-in', kind: calloutK.kind, ...(calloutK.number ? { number: calloutK.number } : {}), ...(calloutK.title ? { title: calloutK.title } : {}),
        stmtStart: a, stmtEnd: b, lastLine: last, end: lineEnd(last), complete: true, text: linesText(a, b),
      };
    } else if (heading(ct) && HEADING_THEOREM.test(headingCore(heading(ct)!.text)) && !calloutFollows(i)) {
      const hm = HEADING_THEOREM.exec(headingCore(heading(ct)!.text))!;
      let j = i + 1;
      let last = i;
      for (; j < lines.length; j++) {
        if (lines[j]!.code) { last = j; continue; }
        const o = openerAt(j);
        if (o) break;
        if (!blank(j)) last = j;
      }
      const s = nonBlankFrom(i + 1);
      const a = s <= last ? contentStart(s) : lineEnd(i);
      const b = Math.max(a, lineEnd(last));
      const title = hm[3]?.trim() || hm[4]?.trim();
      found = {
        syntax: 'heading', kind: hm[1]!.toLowerCase(), ...(hm[2] ? { number: hm[2] } : {}), ...(title ? { title } : {}),
        stmtStart: a, stmtEnd: b, lastLine: last, end: lineEnd(last), complete: true, text: linesText(a, b),
      };
    } else if (LEAD_IN.test(ct)) {
      const m = LEAD_IN.exec(ct)!;
      const depth = quoteDepth(i);
      const a0 = contentStart(i) + lead + m[0].length;
      let last = i;
      let inDisplay = ((ct.slice(m[0].length).match(/\$\$/g)?.length) ?? 0) % 2 === 1;
      for (let j = i + 1; j < lines.length; j++) {
        if (lines[j]!.code) break;
        const cj = content(j);
        if (depth > 0) {
          // A blockquoted theorem runs over the whole quote (up to a proof inside it).
          if (quoteDepth(j) < depth) break;
          if (openerAt(j)) break;
          if (cj.trim() !== '') last = j;
          continue;
        }
        if (openerAt(j) || quoteDepth(j) > 0) break;
        if (!inDisplay && cj.trim() === '') {
          // A blank line ends the statement unless display math or a list continues it.
          const k = nonBlankFrom(j);
          if (k < lines.length && !lines[k]!.code && quoteDepth(k) === 0 && /^\s*(\$\$|\\\[|\\begin\{|[-*+] |\d+[.)] )/.test(content(k)) && !openerAt(k)) { j = k - 1; continue; }
          break;
        }
        if (((cj.match(/\$\$/g)?.length) ?? 0) % 2 === 1) inDisplay = !inDisplay;
        last = j;
      }
      const a = Math.min(a0, lineEnd(i));
      const b = Math.max(a, lineEnd(last));
      const title = m[4]?.trim() || m[5]?.trim();
      found = {
        syntax: 'lead-in', kind: m[2]!.toLowerCase(), ...(m[3] ? { number: m[3] } : {}), ...(title ? { title } : {}),
        stmtStart: a, stmtEnd: b, lastLine: last, end: lineEnd(last), complete: true, text: linesText(a, b),
      };
    }
    if (!found) { i++; continue; }

    const start = blockStart(i, lead);
    const stmtRange = idx.trimmedRange(found.stmtStart, found.stmtEnd);
    const name = capitalize(found.kind);
    const t: Theorem = {
      kind: found.kind, name, ...(found.number ? { number: found.number } : {}), ...(found.title ? { title: found.title } : {}),
      label: displayLabel(name, found.number, found.title), ...(found.id ? { latexLabel: found.id } : {}),
      statement: found.text.trim(), syntax: found.syntax,
      range: idx.range(start, found.end), statementRange: stmtRange, complete: found.complete,
    };
    let next = found.lastLine + 1;
    const pl = nonBlankFrom(next);
    if (found.nestedProof !== undefined) {
      const p = proofAt(found.nestedProof);
      if (p) { t.proof = p.proof; taken.add(found.nestedProof); }
    } else if (pl < lines.length && openerAt(pl) === 'proof' && quoteDepth(pl) <= Math.max(quoteDepth(i), 0)) {
      const p = proofAt(pl);
      if (p) { t.proof = p.proof; next = p.lastLine + 1; taken.add(pl); }
    } else if (pl < lines.length && HEADING_PROOF.test(heading(content(pl).trimStart())?.text ?? '') && !proofDivUnder(pl)) {
      const p = proofAt(pl);
      if (p) { t.proof = p.proof; next = p.lastLine + 1; taken.add(pl); }
    }
    theorems.push(t);
    spans.push({ first: i, last: found.lastLine });
    i = Math.max(next, i + 1);
  }
  attachLaterProofs();
  const masked = lines.map((l, k) => (l.code ? ' '.repeat(raw[k]!.length) : l.masked + (raw[k]!.endsWith('\r') ? ' ' : ''))).join('\n');
  return { theorems, masked };

  /** True when the first non-blank line after heading `i` is a callout that states a theorem (Obsidian). */
  function calloutFollows(i: number): boolean {
    const k = nonBlankFrom(i + 1);
    if (k >= lines.length || quoteDepth(k) === 0) return false;
    const co = CALLOUT.exec(content(k).trimStart());
    return !!co && !!calloutKind(co[1]!, co[2]!);
  }

  /** True when a proof heading ("## Proof of @prp-x") is followed by a proof div: the div is the proof. */
  function proofDivUnder(i: number): boolean {
    const k = nonBlankFrom(i + 1);
    return k < lines.length && !!lines[k]!.div?.proof;
  }

  /**
   * Proofs that did not directly follow their statement: one that names its statement (its title or the heading
   * just above it cites @thm-x, {prf:ref}`x` or "Theorem 3") goes to that statement; otherwise, after intervening
   * prose, to the nearest earlier statement still unproved, when no heading, statement or proof lies between.
   */
  function attachLaterProofs(): void {
    const byId = new Map(theorems.filter(t => t.latexLabel).map(t => [t.latexLabel!, t]));
    /** The last theorem starting at or before line k (binary search; spans are in line order). */
    const lastBefore = (k: number): number => {
      let lo = 0;
      let hi = spans.length - 1;
      let best = -1;
      while (lo <= hi) { const mid = (lo + hi) >> 1; if (spans[mid]!.first <= k) { best = mid; lo = mid + 1; } else hi = mid - 1; }
      return best;
    };
    for (let k = 0; k < lines.length; k++) {
      if (taken.has(k) || lines[k]!.code) continue;
      // Cheap filter first: only lines that may open a proof are classified.
      if (!lines[k]!.div?.proof && !/proof|solution/i.test(lines[k]!.masked)) continue;
      const isProof = openerAt(k) === 'proof' || (openerAt(k) === 'heading' && HEADING_PROOF.test(headingCore(heading(content(k).trimStart())!.text)) && !proofDivUnder(k));
      if (!isProof) continue;
      const before = lastBefore(k);
      if (before >= 0 && spans[before]!.first < k && k <= spans[before]!.last) continue;
      const p = proofAt(k);
      if (!p) continue;
      const above = k > 0 ? lastFilled(k, -1) : -1;
      const aboveHeading = above >= 0 ? heading(content(above).trimStart())?.text ?? '' : '';
      const ref = /@([A-Za-z]+-[\w:-]+)|\{prf:ref\}`([^`]+)`/.exec(`${p.proof.title ?? ''} ${aboveHeading} ${/^\s*\(([^)]*)\)/.exec(p.proof.body)?.[1] ?? ''}`);
      let target: Theorem | undefined;
      if (ref) target = byId.get((ref[1] ?? ref[2])!);
      else {
        const j = before;
        if (j >= 0 && !theorems[j]!.proof) {
          // Backwards from the proof: the nearest heading, statement, other lead-in or proof stops the search.
          let clear = true;
          for (let x = k - 1; x > spans[j]!.last && clear; x--) {
            const o = lines[x]!.code ? null : openerAt(x);
            if (o === 'heading' || o === 'proof' || o === 'theorem' || o === 'other' || taken.has(x)) clear = false;
          }
          if (clear) target = theorems[j];
        }
      }
      if (target && !target.proof) { target.proof = p.proof; taken.add(k); }
    }
  }

  /** The line after an unclosed div's inferred end: the next theorem, proof or heading, or the end. */
  function inferredEnd(from: number): number {
    for (let j = from; j < lines.length; j++) {
      const o = openerAt(j);
      if (o === 'theorem' || o === 'proof' || o === 'heading') return j;
    }
    return lines.length;
  }

  /** The last line before `j` that is not blank (but not before `floor`). */
  function lastFilled(j: number, floor: number): number {
    let k = j - 1;
    while (k > floor && blank(k)) k--;
    return k;
  }

  /** The source text of [a, b) with each line's blockquote prefix left out, lines trimmed at the end. */
  function linesText(a: number, b: number): string {
    const la = idx.lineOf(a);
    const lb = idx.lineOf(b);
    const out: string[] = [];
    for (let k = la; k <= lb; k++) {
      const s = k === la ? a : contentStart(k);
      const e = k === lb ? b : lineEnd(k);
      out.push(trimEndSpaces(lines[k]!.masked.slice(Math.max(0, s - lines[k]!.start), Math.max(0, e - lines[k]!.start))));
    }
    while (out.length && out[0] === '') out.shift();
    while (out.length && out[out.length - 1] === '') out.pop();
    return out.join('\n');
  }

  function proofAt(i: number): { proof: Proof; lastLine: number } | null {
    const l = lines[i]!;
    const c = content(i);
    const ct = c.trimStart();
    const lead = c.length - ct.length;
    const start = blockStart(i, lead);
    if (l.div?.proof) {
      const d = l.div;
      const last = d.close >= 0 ? d.close : lastFilled(inferredEnd(i + 1), i);
      const bodyEnd = d.close >= 0 ? lines[d.close]!.start : lineEnd(last);
      const bodyRange = idx.trimmedRange(lineEnd(i), Math.max(lineEnd(i), bodyEnd));
      const opener = lines[i]!.masked.replace(QUOTE, '').trim();
      const closer = d.close >= 0 ? content(d.close).trim() : d.fence;
      const style: ProofStyle = { kind: 'fenced-div', flavor: d.flavor, opener, closer };
      return {
        proof: {
          range: idx.range(start, d.close >= 0 ? lineEnd(d.close) : lineEnd(last)), bodyRange, body: text.slice(bodyRange.startOffset, bodyRange.endOffset),
          style, ...(d.title ? { title: d.title } : {}), complete: d.close >= 0,
        },
        lastLine: last,
      };
    }
    const h = heading(ct);
    const hp = h ? HEADING_PROOF.exec(headingCore(h.text)) : null;
    const pm = h ? null : PROOF_LEAD_IN.exec(ct);
    if (!hp && !pm) return null;
    const depth = quoteDepth(i);
    const bodyStart = hp ? lineEnd(i) : contentStart(i) + lead + pm![0].length;
    let last = i;
    let marker: { text: string; at: number; end: number } | null = null;
    for (let j = i; j < lines.length; j++) {
      if (j > i) {
        if (lines[j]!.code) { last = j; continue; }
        if (quoteDepth(j) < depth) break;
        const o = openerAt(j);
        if (o && (o !== 'heading' || !hp || headingLevel(j) <= headingLevel(i))) break;
      }
      const cj = j === i && pm ? lines[j]!.masked.slice(bodyStart - lines[j]!.start) : content(j);
      if (cj.trim() !== '') last = j;
      const em = j === i && hp ? null : END_MARKER.exec(cj);
      if (em) {
        const mEnd = lineEnd(j) - (cj.length - cj.trimEnd().length);
        marker = { text: em[1]!, at: mEnd - em[1]!.length, end: mEnd };
        last = j;
        break;
      }
    }
    const bodyRange = idx.trimmedRange(Math.min(bodyStart, marker ? marker.at : lineEnd(last)), marker ? marker.at : lineEnd(last));
    const title = (hp ? hp[2] : pm![3])?.trim().replace(/^[.:]\s*/, '').replace(/[.:]$/, '');
    const style: ProofStyle = hp
      ? { kind: 'heading', level: headingLevel(i), heading: ct.trim(), endMarker: marker?.text ?? null }
      : { kind: 'lead-in', leadIn: pm![0].trim(), endMarker: marker?.text ?? null };
    return {
      proof: {
        range: idx.range(start, marker ? marker.end : lineEnd(last)), bodyRange, body: text.slice(bodyRange.startOffset, bodyRange.endOffset),
        style, ...(title ? { title } : {}), complete: true,
      },
      lastLine: last,
    };
  }

  /** Where a block opened at line j starts: at its first '>' when quoted, else after its indentation. */
  function blockStart(j: number, lead: number): number {
    const m = lines[j]!.masked;
    return quoteDepth(j) > 0 ? lines[j]!.start + (m.length - m.trimStart().length) : contentStart(j) + lead;
  }

  function headingLevel(j: number): number {
    return heading(content(j).trimStart())?.level ?? 7;
  }
}
