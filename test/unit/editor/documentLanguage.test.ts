// Which documents are ours (src/editor/documentLanguage.ts), and the manifest held to the same answer: a Quarto or
// R Markdown file that VS Code opens as plain text still gets Prove/Refine/Check in the palette, the context menu and
// the key bindings, because their `when` clauses say what documentLanguage says.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documentLanguage, MARKDOWN_DIALECT_EXTENSIONS, PROOF_DOCUMENT_WHEN } from '../../../src/editor/documentLanguage';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8'));
const PROOF_COMMANDS = ['qedNano.proveTheorem', 'qedNano.refineProof', 'qedNano.checkProof'];

/** Evaluates PROOF_DOCUMENT_WHEN the way VS Code would for one editor: its two regular expressions, or'ed. */
function whenHolds(languageId: string, fileName: string): boolean {
  const m = /^editorLangId =~ \/(.+)\/ \|\| resourceExtname =~ \/(.+)\/i$/.exec(PROOF_DOCUMENT_WHEN);
  assert.ok(m, 'the clause has the shape this test evaluates');
  return new RegExp(m[1]!).test(languageId) || new RegExp(m[2]!, 'i').test(path.extname(fileName));
}

describe('documents QED-Nano works in', () => {
  const cases: Array<[string, string, 'latex' | 'markdown' | undefined]> = [
    ['latex', 'chapter.tex', 'latex'], ['tex', 'macros.sty', 'latex'], ['plaintext', 'NOTES.TEX', 'latex'],
    ['markdown', 'README', 'markdown'], ['plaintext', 'article.qmd', 'markdown'], ['quarto', 'article.qmd', 'markdown'],
    ['plaintext', 'analysis.Rmd', 'markdown'], ['juliamarkdown', 'fourier.jmd', 'markdown'], ['mdx', 'post.mdx', 'markdown'],
    ['literate haskell', 'Predicates.lhs', 'markdown'], ['plaintext', 'notes.txt', undefined], ['python', 'proof.py', undefined],
    ['json', 'expected.json', undefined],
  ];
  for (const [languageId, fileName, expected] of cases) {
    it(`${fileName} opened as ${languageId}: ${expected ?? 'not ours'}, and the manifest's clause agrees`, () => {
      assert.equal(documentLanguage({ languageId, fileName }), expected);
      assert.equal(whenHolds(languageId, fileName), expected !== undefined);
    });
  }

  it('every Prove/Refine/Check menu entry and key binding uses that clause', () => {
    const menus = manifest.contributes.menus as Record<string, Array<{ command: string; when?: string }>>;
    const entries = [...menus.commandPalette!, ...menus['editor/context']!].filter(e => PROOF_COMMANDS.includes(e.command));
    assert.equal(entries.length, 6, 'palette and context menu, three commands each');
    for (const e of entries) assert.equal(e.when, PROOF_DOCUMENT_WHEN, e.command);
    const keys = (manifest.contributes.keybindings as Array<{ command: string; when: string }>).filter(k => PROOF_COMMANDS.includes(k.command));
    assert.ok(keys.length >= 2);
    for (const k of keys) assert.equal(k.when, `editorTextFocus && (${PROOF_DOCUMENT_WHEN})`, k.command);
  });

  it('the extension activates for the Markdown dialects too', () => {
    const events = manifest.activationEvents as string[];
    // Not .lhs: a literate-Haskell project is rarely mathematics, and activating for every one would be unwelcome.
    const dialects = MARKDOWN_DIALECT_EXTENSIONS.filter(e => e !== 'lhs');
    const contains = events.find(e => e.startsWith('workspaceContains:'));
    assert.ok(contains, events.join(', '));
    for (const ext of dialects) assert.match(contains, new RegExp(`[{,]${ext}[,}]`), ext);
    for (const id of ['latex', 'markdown', 'quarto', 'rmd', 'mdx']) assert.ok(events.includes(`onLanguage:${id}`), id);
  });
});
