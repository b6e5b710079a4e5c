// What real documents use from LaTeX packages and conventions that KaTeX lacks, so that their formulas render in
// the preview instead of as errors. VS Code-free; applied by markdownHtml's katexHtml to every formula (Markdown and
// LaTeX previews, webviews).
//
//  - Package fallbacks (PACKAGE_FALLBACKS): KaTeX macros for a few names of common packages. One applies only where
//    the document does not define the name itself: its project, its preamble or settings (the macros given to
//    KaTeX) and the formula's own \newcommand/\def always win. Each is added for one formula and removed after it,
//    so a later formula's \newcommand of the same name (which KaTeX refuses for a name already defined) still works.
//  - Display alignment without an environment (alignedDisplay): Sphinx/MyST `$$ a &= b \\ &= c $$`, which Sphinx
//    wraps in `split` for MathJax, is rendered as if wrapped in `aligned`; only when the formula has an `&` or `\\`
//    outside every group and environment of its own.
import type { KatexOptions } from 'katex';

type KatexMacro = NonNullable<KatexOptions['macros']>[string];

/** The part of KaTeX's MacroExpander (the context of a function macro) that numberAssignment reads. */
interface MacroContext {
  future(): { text: string };
  popToken(): { text: string };
  consumeSpaces(): void;
}

/** A TeX integer parameter's assignment (`\postdisplaypenalty=100`): typesetting only, so it expands to nothing and
 * takes its `= number` with it (which would otherwise be shown). */
function numberAssignment(context: object): string {
  const gullet = context as MacroContext;
  gullet.consumeSpaces();
  if (gullet.future().text === '=') { gullet.popToken(); gullet.consumeSpaces(); }
  if (/^[+-]$/.test(gullet.future().text)) gullet.popToken();
  while (/^[0-9]$/.test(gullet.future().text)) gullet.popToken();
  return '';
}

/** The fallbacks, by name. Keep each one what its package typesets, as near as KaTeX allows. */
export const PACKAGE_FALLBACKS: Readonly<Record<string, KatexMacro>> = Object.freeze({
  // nicefrac / units: a slanted fraction, raised numerator over lowered denominator.
  '\\nicefrac': '{}^{#1}\\!/\\!{}_{#2}',
  // xfrac: the same slanted fraction.
  '\\sfrac': '{}^{#1}\\!/\\!{}_{#2}',
  // beamer: emphasis in the alert colour (beamer's default is red).
  '\\alert': '\\textcolor{red}{#1}',
  // amsthm: where the proof's end mark goes; the LaTeX preview places the ∎ itself, inside a formula it is nothing.
  '\\qedhere': '',
  // TeX display penalties (page breaking only), as in `\newcommand{\avoidbreak}{\postdisplaypenalty=100}`.
  '\\postdisplaypenalty': numberAssignment,
  '\\predisplaypenalty': numberAssignment,
});

/** Names a formula defines itself (`\newcommand{\x}`, `\def\x`, …). */
const DEFINITION = /\\(?:newcommand|renewcommand|providecommand|def|gdef|edef|xdef|let|DeclareMathOperator)\*?\s*\{?\s*(\\[A-Za-z@]+)/g;

/**
 * Runs `render` with the fallbacks the formula may need added to `macros` (those not defined by `macros` nor by
 * `tex`), and removes them after, also when `render` throws. `macros` is the object KaTeX is given: a `\gdef`
 * of the formula stays in it, and one of a fallback's name replaces the fallback for good.
 */
export function withPackageFallbacks<T>(tex: string, macros: Record<string, KatexMacro>, render: () => T): T {
  const own = new Set<string>();
  if (tex.includes('def') || tex.includes('command') || tex.includes('\\let')) for (const m of tex.matchAll(DEFINITION)) own.add(m[1]!);
  const added: string[] = [];
  for (const [name, fallback] of Object.entries(PACKAGE_FALLBACKS)) {
    if (Object.prototype.hasOwnProperty.call(macros, name) || own.has(name)) continue;
    macros[name] = fallback;
    added.push(name);
  }
  try {
    return render();
  } finally {
    for (const name of added) if (macros[name] === PACKAGE_FALLBACKS[name]) delete macros[name];
  }
}

/**
 * Whether a display formula is rows and columns without an environment of its own: an `&` or `\\` outside every
 * brace group and `\begin…\end` (a matrix, cases or aligned keeps its own).
 */
export function hasTopLevelAlignment(tex: string): boolean {
  let braces = 0;
  let environments = 0;
  for (let i = 0; i < tex.length; i++) {
    const c = tex[i];
    if (c === '\\') {
      const next = tex[i + 1];
      if (next === '\\' && braces === 0 && environments === 0) return true;
      if (tex.startsWith('begin', i + 1) && !/[A-Za-z]/.test(tex[i + 6] ?? '')) environments++;
      else if (tex.startsWith('end', i + 1) && !/[A-Za-z]/.test(tex[i + 4] ?? '')) environments = Math.max(0, environments - 1);
      i++; // an escaped character (\&, \{, \\) is never a column or a group
    } else if (c === '%') {
      const eol = tex.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    } else if (c === '{') braces++;
    else if (c === '}') braces = Math.max(0, braces - 1);
    else if (c === '&' && braces === 0 && environments === 0) return true;
  }
  return false;
}

/** A display formula as KaTeX should see it: with top-level alignment, wrapped in `aligned` (see the header). */
export function alignedDisplay(tex: string): string {
  // The line break first: a `%` comment on the formula's last line would otherwise swallow the `\end`.
  return hasTopLevelAlignment(tex) ? `\\begin{aligned}${tex}
\\end{aligned}` : tex;
}
