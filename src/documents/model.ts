// The data model of theorems and proofs found in a document: plain data, no VS Code. Every range carries both
// zero-based line/character positions (UTF-16 code units, as VS Code counts them) and offsets into the text, so
// the editor can anchor edits either way.

export interface Position { line: number; character: number }

export interface Range {
  start: Position;
  end: Position;
  /** Offset of `start` in the text. */
  startOffset: number;
  /** Offset of `end` in the text (exclusive). */
  endOffset: number;
}

export type DocumentLanguage = 'latex' | 'markdown';

/** How a theorem is written in its document. */
export type TheoremSyntax =
  | 'environment'  // LaTeX \begin{lemma} … \end{lemma}
  | 'lead-in'      // Markdown **Theorem 2.** …
  | 'heading'      // Markdown ### Theorem (AM-GM)
  | 'fenced-div';  // Markdown ::: theorem … ::: or :::{prf:theorem} … :::

/** How a proof is written, so a new proof can be written the same way. */
export type ProofStyle =
  | { kind: 'latex-environment'; environment: string }  // "proof", "solution"
  | {
    kind: 'lead-in';
    /** The lead-in exactly as written, e.g. "*Proof.*", "**Proof.**", "_Solution._". */
    leadIn: string;
    /** The end marker as written ("∎", "□", "$\\blacksquare$", …), or null when the proof has none. */
    endMarker: string | null;
  }
  | { kind: 'heading'; level: number; heading: string; endMarker: string | null }
  | {
    kind: 'fenced-div';
    flavor: 'pandoc' | 'myst';
    /** The opening fence line, e.g. "::: proof", "::: {.proof}", ":::{prf:proof}". */
    opener: string;
    /** The closing fence line, e.g. ":::". */
    closer: string;
  };

export interface Proof {
  /** The whole proof block: from \begin{proof} / the lead-in / the opening fence to \end{proof} / the end marker / the closing fence. */
  range: Range;
  /** The proof text only (without environment markers, lead-in, end marker or fences), trimmed of surrounding whitespace. */
  bodyRange: Range;
  /** The text of bodyRange. */
  body: string;
  style: ProofStyle;
  /** An optional title: \begin{proof}[Proof of Lemma 2], *Proof of Lemma 2.* → "of Lemma 2". */
  title?: string;
  /** False when the end marker was missing and the end was inferred. */
  complete: boolean;
}

export interface Theorem {
  /** The environment or lead-in word, lower case, without a star: "theorem", "lemma", "thm", "problem". */
  kind: string;
  /** The name a reader sees: "Lemma", "Theorem", "Problem". */
  name: string;
  /** The number a reader sees ("3", "2.3", "A.1"), best effort; undefined for unnumbered ones. */
  number?: string;
  /** An optional title: \begin{theorem}[Fermat], **Theorem 2 (AM-GM).** → "Fermat", "AM-GM". */
  title?: string;
  /** The display label: "Lemma 2.3 (Euclid)". */
  label: string;
  /** The cross-reference label: LaTeX \label{…}; in Markdown the div id (#thm-x) or MyST :label:. */
  latexLabel?: string;
  /** The statement as given to the model: without environment markers, lead-in, \label, comments. */
  statement: string;
  syntax: TheoremSyntax;
  /** LaTeX: the environment as written ("lemma", "claim*"). */
  environment?: string;
  /** The whole theorem block (environment, lead-in paragraph, heading section, or div). */
  range: Range;
  /** The statement in the source, trimmed of surrounding whitespace. */
  statementRange: Range;
  proof?: Proof;
  /** False when the theorem's end marker was missing and its end was inferred. */
  complete: boolean;
  /** True when the kind was taken by its conventional short name (thm, lem, …), its declaration not being found. */
  guessed?: boolean;
}

export type MacroKind = 'newcommand' | 'renewcommand' | 'providecommand' | 'DeclareMathOperator' | 'def';

export interface MacroDefinition {
  kind: MacroKind;
  /** The command defined, with its backslash: "\\R". */
  name: string;
  /** Number of arguments (0 when none). */
  arguments: number;
  /** Default of the first, optional argument (\newcommand{\x}[2][0]{…}). */
  optionalDefault?: string;
  /** The replacement text (for \DeclareMathOperator, the operator's name). */
  body: string;
  /** True for \DeclareMathOperator* and \newcommand* etc. */
  starred: boolean;
  /** The definition exactly as written, to hand to the model. */
  source: string;
  /** The range in the file that declares it (`file`, or the document itself). */
  range: Range;
  /** The project file that declares it, when not the document itself. */
  file?: string;
}

export interface DocumentOutline {
  language: DocumentLanguage;
  theorems: Theorem[];
  macros: MacroDefinition[];
}
