// User overrides of the prompt templates, read from files: a prompts directory (any of single.md, solve-first.md,
// solve.md, summarize.md; the others stay built in) and/or one path per template (wins over the directory).
// Every override is checked for its placeholders before a run starts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_TEMPLATES, PROMPTS_VERSION, PromptTemplateError, TEMPLATE_FILES, TEMPLATE_IDS, checkTemplate,
  type PromptTemplates, type TemplateId,
} from './prompts';

export interface PromptOverrides {
  /** A directory holding any of single.md, solve-first.md, solve.md, summarize.md. It must exist when given. */
  promptsDir?: string;
  /** One file per template; each must exist when given. Wins over promptsDir. */
  files?: Partial<Record<TemplateId, string>>;
}

export interface LoadedPrompts {
  templates: PromptTemplates;
  /** The built-in template set's version. */
  version: string;
  /** Which templates came from a file, and which file. */
  overridden: Partial<Record<TemplateId, string>>;
}

function readTemplate(id: TemplateId, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PromptTemplateError(`Cannot read the ${id} prompt template ${file}: ${code === 'ENOENT' ? 'the file does not exist' : String((err as Error).message)}.`);
  }
  // A trailing newline is an editor artefact, not part of the prompt.
  text = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').replace(/\n+$/, '');
  if (!text.trim()) throw new PromptTemplateError(`The ${id} prompt template ${file} is empty.`);
  checkTemplate(id, text, file);
  return text;
}

export function loadPrompts(overrides: PromptOverrides = {}): LoadedPrompts {
  const templates: PromptTemplates = { ...DEFAULT_TEMPLATES };
  const overridden: Partial<Record<TemplateId, string>> = {};
  if (overrides.promptsDir) {
    const dir = path.resolve(overrides.promptsDir);
    let st: fs.Stats;
    try { st = fs.statSync(dir); } catch { throw new PromptTemplateError(`The prompts directory ${dir} does not exist.`); }
    if (!st.isDirectory()) throw new PromptTemplateError(`The prompts directory ${dir} is not a directory.`);
    const known = new Set(Object.values(TEMPLATE_FILES));
    const stray = fs.readdirSync(dir).filter(f => /\.md$/i.test(f) && !known.has(f));
    if (stray.length) {
      throw new PromptTemplateError(`The prompts directory ${dir} holds ${stray.join(', ')}, which is not a template name. ` +
        `Template files are ${[...known].join(', ')}.`);
    }
    for (const id of TEMPLATE_IDS) {
      const file = path.join(dir, TEMPLATE_FILES[id]);
      if (fs.existsSync(file)) {
        templates[id] = readTemplate(id, file);
        overridden[id] = file;
      }
    }
  }
  for (const id of TEMPLATE_IDS) {
    const file = overrides.files?.[id];
    if (file) {
      const abs = path.resolve(file);
      templates[id] = readTemplate(id, abs);
      overridden[id] = abs;
    }
  }
  return { templates, version: PROMPTS_VERSION, overridden };
}
