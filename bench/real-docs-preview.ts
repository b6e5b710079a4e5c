// KaTeX errors of the math preview on each real document of ../shared/real-docs (skipped when absent), rendered
// alone (as the preview did before the project index) and with its project (the root's preamble, local packages,
// _config.yml/_quarto.yml macros), with the commands still undefined after. DOM-free (src/render/documentHtml).
// Usage: npm run bench:real-preview  (or node out/bench/real-docs-preview.js [--verbose])
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProjectIndex, type ProjectFiles } from '../src/documents/project';
import { decodeText } from '../src/documents/text';
import { FormulaCache, renderDocumentHtml } from '../src/render/documentHtml';

const root = path.resolve(__dirname, '..', '..', '..', 'shared', 'real-docs');
const verbose = process.argv.includes('--verbose');

function folderFiles(dir: string): ProjectFiles {
  const walk = (rel: string): string[] => fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap(e => (e.isDirectory() ? walk(rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name]));
  const all = walk('');
  return { list: () => all, read: p => { try { return decodeText(fs.readFileSync(path.join(dir, p))); } catch { return undefined; } } };
}

if (!fs.existsSync(path.join(root, 'expected.json'))) {
  console.log(`skipped: ${root} not found (the real-document corpus sits beside the repository, not in it)`);
} else {
  const docs = (JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8')) as { docs: Array<{ id: string; file: string; language: 'latex' | 'markdown' }> }).docs;
  let before = 0;
  let after = 0;
  for (const d of docs) {
    const folder = d.file.split('/')[0]!;
    const files = folderFiles(path.join(root, folder));
    const file = d.file.slice(folder.length + 1);
    const text = files.read(file)!;
    const alone = renderDocumentHtml(text, d.language, new FormulaCache());
    const index = new ProjectIndex(files);
    const project = d.language === 'latex'
      ? { declarations: index.declarationsFor(file), macros: index.macrosFor(file) }
      : { macros: index.markdownMacrosFor(file) };
    const withProject = renderDocumentHtml(text, d.language, new FormulaCache(), project);
    // Every formula error; the render-budget notices (formulas left unrendered for time or size) are none.
    const katex = (errs: Array<{ message: string }>): Array<{ message: string }> => errs.filter(e => !/budget|not rendered/.test(e.message));
    const a = katex(alone.errors);
    const b = katex(withProject.errors);
    before += a.length;
    after += b.length;
    const undefinedAfter = new Map<string, number>();
    for (const e of b) { const m = /Undefined control sequence: (\\[A-Za-z@]+|\\.)/.exec(e.message); if (m) undefinedAfter.set(m[1]!, (undefinedAfter.get(m[1]!) ?? 0) + 1); }
    console.log(`${d.id.padEnd(20)} KaTeX errors alone ${String(a.length).padStart(4)}  with project ${String(b.length).padStart(4)}  (project macros: ${project.macros.length})${undefinedAfter.size ? `  still undefined: ${[...undefinedAfter].map(([k, n]) => `${k}×${n}`).join(' ')}` : ''}`);
    if (verbose) for (const e of b.slice(0, 10)) console.log(`    ${e.message.slice(0, 160)}`);
  }
  console.log(`${'TOTAL'.padEnd(20)} KaTeX errors alone ${String(before).padStart(4)}  with project ${String(after).padStart(4)}`);
}
