// Which of our two languages a document is in. VS Code's language id decides first (a user may set it by hand); then
// the file name, because Quarto, R Markdown, MDX, Weave and literate-Haskell files are Markdown to us whether or not
// an extension gives them a language of their own (without one VS Code opens them as plain text).
import type * as vscode from 'vscode';
import { languageOf, type DocumentLanguage } from '../documents/outline';

/** Markdown dialects known by their file extension alone (`languageOf` reads the same names). */
export const MARKDOWN_DIALECT_EXTENSIONS = ['qmd', 'rmd', 'jmd', 'mdx', 'lhs'] as const;

/** Where the proof lenses, the hover and the commands apply. */
export const PROOF_DOCUMENT_SELECTOR: vscode.DocumentSelector = [
  { language: 'latex' }, { language: 'tex' }, { language: 'markdown' },
  { pattern: `**/*.{${MARKDOWN_DIALECT_EXTENSIONS.flatMap(e => [e, e.toUpperCase(), e[0]!.toUpperCase() + e.slice(1)]).join(',')}}` },
];

/**
 * The `when` clause of every Prove/Refine/Check menu entry and key binding in package.json (a unit test holds the
 * manifest to it): the same documents `documentLanguage` accepts.
 */
export const PROOF_DOCUMENT_WHEN = `editorLangId =~ /^(latex|tex|markdown)$/ || resourceExtname =~ /^\\.(tex|latex|ltx|md|markdown|${MARKDOWN_DIALECT_EXTENSIONS.join('|')})$/i`;

export function documentLanguage(doc: { languageId: string; fileName: string }): DocumentLanguage | undefined {
  if (doc.languageId === 'latex' || doc.languageId === 'tex') return 'latex';
  if (doc.languageId === 'markdown') return 'markdown';
  return languageOf(doc.fileName);
}
