// Anchoring a verifier's evaluation to the proof it checked: every sentence or formula the evaluation quotes (between
// quotation marks, backticks, $…$ or \(…\)) that can be found in the proof becomes a finding at that place, with the
// evaluation's sentence that quotes it as its message. The editor shows findings as diagnostics; what cannot be
// anchored stays in the full evaluation (the hover), and the editor falls back to the proof's first line.

export interface Finding {
  /** Offsets into the proof text (end exclusive). */
  start: number;
  end: number;
  /** The quote as the evaluation wrote it. */
  quote: string;
  /** The evaluation's sentence that quotes it. */
  message: string;
}

// Shorter quotes ("n", "x>0") match too many places to point at one.
const MIN_QUOTE = 4;
const MAX_MESSAGE = 400;

const QUOTES: RegExp[] = [
  /"([^"\n]{1,400})"/g,
  /\u201c([^\u201d\n]{1,400})\u201d/g,
  /\u00ab\s?([^\u00bb\n]{1,400}?)\s?\u00bb/g,
  /`([^`\n]{1,400})`/g,
  /\$\$([^$]{1,400})\$\$/g,
  /(?<![\\$])\$([^$\n]{1,400})\$(?!\$)/g,
  /\\\(([\s\S]{1,400}?)\\\)/g,
  /\\\[([\s\S]{1,400}?)\\\]/g,
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where `quote` occurs in `text`: exactly, else with any run of whitespace matching any other. */
export function locateQuote(text: string, quote: string, from = 0): { start: number; end: number } | null {
  const q = quote.trim();
  if (q.length < MIN_QUOTE) return null;
  const exact = text.indexOf(q, from);
  if (exact >= 0) return { start: exact, end: exact + q.length };
  const parts = q.split(/\s+/).filter(Boolean).map(escapeRegExp);
  const re = new RegExp(parts.join('\\s+'), 'g');
  re.lastIndex = from;
  const m = re.exec(text);
  return m ? { start: m.index, end: m.index + m[0].length } : null;
}

/** The sentence of `text` around offset `at` (sentences end at . ! ? followed by a space, or a line break). */
function sentenceAround(text: string, at: number, end: number): string {
  let s = at;
  while (s > 0 && !/[\n]/.test(text[s - 1]!) && !(/[.!?]/.test(text[s - 2] ?? '') && /\s/.test(text[s - 1]!))) s--;
  let e = end;
  while (e < text.length && text[e] !== '\n' && !(/[.!?]/.test(text[e]!) && (e + 1 >= text.length || /\s/.test(text[e + 1]!)))) e++;
  if (e < text.length && text[e] !== '\n') e++;
  const sentence = text.slice(s, e).replace(/\s+/g, ' ').trim();
  return sentence.length > MAX_MESSAGE ? `${sentence.slice(0, MAX_MESSAGE - 1)}…` : sentence;
}

/** The evaluation's quotes found in `proof`, in evaluation order, one per place (the first quote of a place wins). */
export function anchorFindings(evaluation: string, proof: string): Finding[] {
  const hits: { at: number; end: number; quote: string }[] = [];
  for (const re of QUOTES) {
    re.lastIndex = 0;
    for (let m = re.exec(evaluation); m; m = re.exec(evaluation)) hits.push({ at: m.index, end: m.index + m[0].length, quote: m[1]! });
  }
  hits.sort((a, b) => a.at - b.at);
  const out: Finding[] = [];
  const taken = new Set<string>();
  let lastEnd = -1;
  for (const h of hits) {
    // A quote inside an earlier quote ("$x$" within "since $x$ holds") is part of that one.
    if (h.at < lastEnd) continue;
    const where = locateQuote(proof, h.quote);
    if (!where) continue;
    lastEnd = h.end;
    const key = `${where.start}:${where.end}`;
    if (taken.has(key)) continue;
    taken.add(key);
    out.push({ ...where, quote: h.quote.trim(), message: sentenceAround(evaluation, h.at, h.end) });
  }
  return out;
}
