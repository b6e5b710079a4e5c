// qedNano.previewMath in a real VS Code: the preview opens beside a .tex and a .md document, shows them rendered
// (read back from the page's DOM through the browser), follows edits (debounced re-render), scrolls to the theorem
// under the cursor, and a click in it reveals the source line. Screenshots: preview-tex, preview-md.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateByMarkdown, note, openWorkspaceFile, screenshot, until, webviewClick, webviewEval, webviewQuery, webviewText } from './helpers';

/** What the command returns (src/webview/previewPanel.ts PreviewState). */
interface PreviewState {
  available: boolean; open: boolean; ready: boolean; document: string | null; renderedVersion: number; shownVersion: number;
  shownText: string; renders: number; lastRenderMs: number; blocks: number; lastPosted: number; errors: number; unsupported: string[];
}

const TEX = String.raw`\documentclass{article}
\usepackage{amsmath,amsthm}
\newtheorem{theorem}{Theorem}[section]
\newtheorem{lemma}[theorem]{Lemma}
\newcommand{\N}{\mathbb{N}}
\DeclareMathOperator{\lcm}{lcm}
\begin{document}
\section{Primes}
\begin{lemma}[Euclid]\label{lem:euclid}
If a prime $p$ divides $ab$, then $p \mid a$ or $p \mid b$.
\end{lemma}
\begin{proof}
By B\'ezout, and \eqref{eq:bez}:
\begin{equation}\label{eq:bez}
  1 = px + ay. \qedhere
\end{equation}
\end{proof}
\begin{theorem}\label{thm:inf}
There are infinitely many primes; by Lemma~\ref{lem:euclid}, $\lcm(1, \dots, n) > 1$ for $n \in \N$.
\end{theorem}
\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}
\end{document}
`;

const MD = `# Warm-ups

**Theorem 1 (AM-GM).** For $a, b \\ge 0$, $\\frac{a+b}{2} \\ge \\sqrt{ab}$.

*Proof.* Expand $(\\sqrt a - \\sqrt b)^2 \\ge 0$. ∎

::: lemma
Every integer $n > 1$ has a prime factor.
:::

$$
\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}
$$
`;

const viewOf = (file: string) => `QED-Nano Math Preview: ${file}`;

async function preview(): Promise<PreviewState> {
  const state = await vscode.commands.executeCommand<PreviewState>('qedNano.previewMath');
  assert.ok(state, 'the command returns the preview state');
  return state;
}

suite('preview: rendered math for .tex and .md', () => {
  // Only this suite's tabs are closed (the preview and its three files): the harness suite's [after reload] tests
  // need the rest of the window as phase 1 leaves it (its panel the active tab of its group again, so that VS Code
  // revives it; a Markdown editor to activate the extension). Closing everything, or leaving a webview without a
  // serializer in front, breaks the restore after the reload.
  suiteTeardown(async () => {
    const ours = (t: vscode.Tab) => (t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('qedNano.preview'))
      || (t.input instanceof vscode.TabInputText && /\/preview-[a-z]+\.(tex|md)$/.test(t.input.uri.path));
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(ours);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  });

  test('LaTeX: theorems numbered, math and refs rendered, unsupported shown as source; edits and the cursor followed; a click reveals the source', async function () {
    this.timeout(180_000);
    await activateByMarkdown();
    const editor = await openWorkspaceFile('preview-primes.tex', TEX, 'divides');
    const state = await preview();
    assert.equal(state.available, true);
    assert.ok(state.open && state.ready, `the preview page is up: ${JSON.stringify(state)}`);
    assert.equal(state.document, editor.document.uri.toString());
    assert.equal(state.shownVersion, editor.document.version, 'the page reports the version it shows');
    assert.deepEqual(state.unsupported, ['\\begin{tikzpicture}']);
    assert.equal(state.errors, 0, 'the preamble macros reach KaTeX');
    note(`first render ${state.lastRenderMs.toFixed(1)} ms, ${state.blocks} blocks`);

    const view = viewOf('preview-primes.tex');
    assert.equal(await webviewText('.theorem-lemma .theorem-head', { view }), 'Lemma 1.1 (Euclid).');
    assert.equal(await webviewText('.theorem-theorem .theorem-head', { view }), 'Theorem 1.2.');
    assert.equal(await webviewText('h2.section', { view }), '1 Primes');
    const refs = await webviewQuery('.ref', { view });
    assert.deepEqual(refs.texts, ['(1)', '1.1']);
    const math = await webviewQuery('.katex', { view });
    assert.ok(math.count >= 6, `${math.count} formulas rendered by KaTeX`);
    assert.equal((await webviewQuery('.qed-math-error', { view })).count, 0);
    assert.match(await webviewText('.unsupported', { view }), /tikzpicture[\s\S]*shown as source[\s\S]*\\draw \(0,0\)/);
    assert.equal((await webviewQuery('.proof .qed', { view })).count, 1, 'one ∎, where \\qedhere put it');
    await screenshot('preview-tex');

    // Typing: a new theorem before the lemma renumbers everything after it (shared counter) and the \ref follows.
    const at = editor.document.positionAt(TEX.indexOf('\\begin{lemma}'));
    await editor.edit(b => b.insert(at, '\\begin{theorem}[New] $x^2 \\ge 0$. \\end{theorem}\n'));
    await webviewText('.qed-content', { view, contains: 'Lemma 1.2 (Euclid).', timeoutMs: 15_000 });
    assert.match(await webviewText('.qed-content', { view }), /Theorem 1\.1 \(New\)\.[\s\S]*Theorem 1\.3\.[\s\S]*by Lemma\s1\.2/);
    const after = await preview();
    assert.equal(after.shownVersion, editor.document.version);
    assert.ok(after.lastPosted < after.blocks, `only changed blocks are posted (${after.lastPosted} of ${after.blocks})`);

    // The cursor in the theorem at the end: the page marks (and scrolls to) that theorem's block.
    const thmLine = editor.document.getText().split('\n').findIndex(l => l.startsWith('\\begin{theorem}\\label{thm:inf}'));
    const inThm = new vscode.Position(thmLine + 1, 5);
    editor.selection = new vscode.Selection(inThm, inThm);
    const current = await webviewText('.qed-current', { view, contains: 'infinitely many primes', timeoutMs: 10_000 });
    assert.match(current, /^Theorem 1\.3\./);
    const marked = await webviewQuery('.qed-current', { view });
    assert.equal(marked.attributes[0]!['data-line'], String(thmLine));

    // A click on the lemma's statement puts the editor's cursor on the statement's source line.
    const lemmaLine = editor.document.getText().split('\n').findIndex(l => l.startsWith('If a prime'));
    await webviewClick('.theorem-lemma p', { view });
    await until(`the click to reveal source line ${lemmaLine}`, () => vscode.window.activeTextEditor?.document === editor.document
      && vscode.window.activeTextEditor.selection.active.line === lemmaLine, 10_000);
  });

  test('a long document: the cursor scrolls the preview to its theorem; typing elsewhere keeps the scroll position', async function () {
    this.timeout(120_000);
    const body = Array.from({ length: 60 }, (_, k) => `\\begin{lemma}\\label{l${k}}\nFor $n = ${k}$ we have $n^2 \\ge ${k}n$.\n\\end{lemma}\n\\begin{proof}\nClear, as in Lemma~\\ref{l${k}}.\n\\end{proof}\n`).join('\n');
    const text = `\\documentclass{article}\n\\newtheorem{lemma}{Lemma}\n\\begin{document}\n${body}\\end{document}\n`;
    const editor = await openWorkspaceFile('preview-long.tex', text);
    await preview();
    const view = viewOf('preview-long.tex');
    assert.equal((await webviewQuery('.theorem-lemma', { view })).count, 60);
    const line = text.split('\n').findIndex(l => l === 'For $n = 45$ we have $n^2 \\ge 45n$.');
    editor.selection = new vscode.Selection(line, 3, line, 3);
    await webviewText('.qed-current', { view, contains: 'Lemma 46.' });
    const scrolled = await webviewEval('html', 'scrollTop', { view }) as number;
    assert.ok(scrolled > 500, `the preview scrolled down to Lemma 46 (scrollTop ${scrolled})`);
    // Typing at the end of the document (the cursor's theorem unchanged): the view stays where the reader is.
    const t0 = Date.now();
    const end = editor.document.positionAt(text.indexOf('\\end{document}'));
    await editor.edit(b => b.insert(end, 'A closing remark with $e^{i\\pi} = -1$.\n'));
    await webviewText('.qed-content', { view, contains: 'A closing remark', timeoutMs: 15_000 });
    note(`edit to page updated: ${Date.now() - t0} ms (debounce ${150} ms included); render ${(await preview()).lastRenderMs.toFixed(1)} ms`);
    assert.equal(await webviewEval('html', 'scrollTop', { view }), scrolled);
  });

  test('Markdown: the preview follows the active editor; theorem blocks, math, edits; screenshot', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('preview-warmups.md', MD, 'AM-GM');
    const state = await preview();
    assert.equal(state.document, editor.document.uri.toString(), 'the preview now shows the Markdown document');
    const view = viewOf('preview-warmups.md');
    assert.equal(await webviewText('p.qed-theorem strong', { view }), 'Theorem 1 (AM-GM).');
    assert.equal((await webviewQuery('p.qed-proof', { view })).count, 1);
    assert.match(await webviewText('div.qed-theorem.qed-kind-lemma', { view }), /^Lemma\.\s+Every integer/);
    assert.ok((await webviewQuery('.katex', { view })).count >= 4);
    assert.equal((await webviewQuery('.katex-display', { view })).count, 1);
    const lines = (await webviewQuery('[data-line]', { view })).attributes.map(a => Number(a['data-line']));
    assert.deepEqual(lines.slice(0, 3), [0, 2, 4]);

    await editor.edit(b => b.insert(new vscode.Position(editor.document.lineCount, 0), '\n**Lemma 5.** $\\gcd(a, b) \\mid a$.\n'));
    await webviewText('.qed-content', { view, contains: 'Lemma 5.', timeoutMs: 15_000 });
    assert.equal((await webviewQuery('p.qed-kind-lemma', { view })).count, 1);
    await screenshot('preview-md');
  });
  test('VS Code\'s own Markdown preview uses the extension\'s markdown-it plugin: theorem and proof blocks get their classes, math stays VS Code\'s', async function () {
    this.timeout(60_000);
    await activateByMarkdown();
    const md = '**Theorem 1.** For every integer $n$, $n^2 - n$ is even.\n\n*Proof.* Write $n^2 - n = n(n-1)$. ∎\n';
    // markdown.api.render is the built-in Markdown extension's renderer: the same markdown-it, plugins included, as its preview.
    const html = await vscode.commands.executeCommand<string>('markdown.api.render', md);
    assert.match(html, /<p[^>]*class="[^"]*qed-theorem qed-kind-theorem[^"]*"/, html);
    assert.match(html, /<p[^>]*class="[^"]*qed-proof[^"]*"/, html);
    assert.match(html, /class="katex/, 'VS Code\'s markdown-math renders the math (one KaTeX, not ours)');
  });
});
