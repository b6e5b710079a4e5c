// Prove and Refine: a reasoning-cache run (src/prover/rc.ts) on the theorem at the cursor, its proof put into the
// document as ONE undoable edit anchored to the theorem (re-found by kind and statement when the run ends), or
// proposed as a diff when it would replace something (an existing proof, a refined proof).
import * as vscode from 'vscode';
import { macrosUsedIn, proofStyle, theoremAt, type DocumentLanguage, type DocumentOutline, type Theorem } from '../documents/outline';
import { isModelErrorCode, ModelError } from '../model/errors';
import { ProverError } from '../prover/errors';
import { loadPrompts, type LoadedPrompts } from '../prover/promptFiles';
import { PromptTemplateError } from '../prover/prompts';
import { extend, prove, resolveSettings, type ProverEvent, type ProverStream } from '../prover/rc';
import { confirmationText, describeBudget, estimateBudget, resolveStrategy, runStrategy, type BudgetEstimate } from '../prover/strategies';
import type { RunRecord } from '../prover/record';
import type { ProverModel } from '../prover/model';
import type { ModelService } from './modelService';
import { anchorOf, findTheorem, nearestOccurrence, locateProofBody, outlineOf, proofBlock, proofBody, proofInsertion, type Outliner, type TheoremAnchor } from './placement';
import type { WorkspaceProject } from './workspaceProject';
import { documentLanguage } from './documentLanguage';
import { applyOneEdit, type Proposal, type Proposals } from './proposals';
import type { PlacementTarget, RunContext } from './runStore';
import { problemTokensHigh } from '../prover/budget';
import { AUTO_CONTEXT_CAP, confirmRunsOverTokens, promptOverrides, proverSettings, raiseConfirmThreshold, strategySettings } from './settings';

export type ProveStatus = 'inserted' | 'proposed' | 'side' | 'cancelled' | 'failed' | 'truncated' | 'refused';

export interface ProveResult {
  status: ProveStatus;
  message: string;
  /** The proof the run produced (Markdown, as the model wrote it). */
  proof?: string;
  /** The text inserted into the document. */
  inserted?: string;
  /** The side document or the proposal's virtual document. */
  document?: vscode.Uri;
  proposal?: vscode.Uri;
  record?: RunRecord;
  /** The plan's upper bound, computed before the run (and shown in the confirmation of a large run). */
  estimate?: BudgetEstimate;
}

/** Arguments the CodeLenses (and tests) pass: which document and where; refine's instruction skips the input box. */
export interface ProofCommandArgs {
  uri?: string;
  offset?: number;
  instruction?: string;
}

export interface ProofCommandsOptions {
  service: ModelService;
  proposals: Proposals;
  /** The workspace's project index (declarations and macros from the root, preamble and packages). */
  project?: WorkspaceProject;
  /** Test-only: wait this long before every model call (see ModelService.session). */
  delayBeforeCallMs(): number;
  /** Test-only: cap the solve call of this cycle at this many tokens (to cut a cycle off with the scripted model). */
  solveTokenCap(): { cycle: number; maxTokens: number } | undefined;
  /**
   * A modal question (message, detail, the choices; Cancel is VS Code's own): showWarningMessage with modal: true.
   * VS Code refuses modal dialogs inside extension tests, so the tests answer through the API instead.
   */
  askModal(message: string, detail: string, choices: string[]): Thenable<string | undefined>;
  /** Every event of every run, with what the editor knows about the run (its document and theorem). */
  onEvent(e: ProverEvent, context: RunContext): void;
}

interface Target { doc: vscode.TextDocument; language: DocumentLanguage; offset: number; selection?: vscode.Selection }

/** The document a command works on (from its arguments or the active editor), or a message saying what to open. */
async function targetDocument(args: ProofCommandArgs | undefined, what: 'prove' | 'refine'): Promise<Target | undefined> {
  const target = await commandDocument(args);
  if (!target) {
    void vscode.window.showWarningMessage(what === 'prove'
      ? 'Open a LaTeX or Markdown file and put the cursor in the theorem to prove (or select its statement).'
      : 'Open a LaTeX or Markdown file and put the cursor in the proof to refine (or select it).');
    return undefined;
  }
  const language = documentLanguage(target.doc);
  if (!language) {
    void vscode.window.showWarningMessage(`QED-Nano ${what === 'prove' ? 'proves theorems' : 'refines proofs'} in LaTeX (.tex) and Markdown (.md) documents.`);
    return undefined;
  }
  return { ...target, language };
}

async function commandDocument(args: ProofCommandArgs | undefined): Promise<{ doc: vscode.TextDocument; offset: number; selection?: vscode.Selection } | undefined> {
  if (args?.uri) {
    const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === args.uri) ?? await vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri));
    return { doc, offset: args.offset ?? 0 };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  return { doc: editor.document, offset: editor.document.offsetAt(editor.selection.active), selection: editor.selection };
}

/** The problem as the model gets it: the macro definitions the statement uses, the theorem's title, the statement. */
/** The run's settings for this model's context and this problem (an automatic per-cycle budget needs both). */
function settingsFor(model: ProverModel, problemText: string) {
  return proverSettings(model.info.contextSize, problemTokensHigh(problemText));
}

export function problemOf(outline: DocumentOutline, theorem: Theorem | undefined, statement: string): string {
  const macros = macrosUsedIn(statement, outline.macros);
  const parts: string[] = [];
  if (macros.length) parts.push(`Definitions used:\n${macros.map(m => m.source).join('\n')}`);
  parts.push(theorem?.title ? `${theorem.label}. ${statement}` : statement);
  return parts.join('\n\n');
}

/** Runs on the same theorem share a key (kind and statement: labels change when theorems are renumbered). */
function theoremKey(language: DocumentLanguage, kind: string, statement: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < statement.length; i++) h = Math.imul(h ^ statement.charCodeAt(i), 0x01000193) >>> 0;
  return `${language}:${kind}:${h.toString(16)}`;
}

function runContext(doc: vscode.TextDocument, language: DocumentLanguage, kind: 'prove' | 'refine', theorem: Theorem | undefined, statement: string, target: PlacementTarget): RunContext {
  return {
    documentUri: doc.uri.toString(),
    documentName: doc.uri.path.split('/').pop() || doc.uri.toString(),
    language,
    theorem: theorem?.label ?? 'Selection',
    theoremKey: theoremKey(language, theorem?.kind ?? 'selection', statement.trim()),
    kind,
    target,
  };
}

function isOpen(doc: vscode.TextDocument): boolean {
  if (doc.isClosed) return false;
  const key = doc.uri.toString();
  return vscode.window.tabGroups.all.some(g => g.tabs.some(t =>
    (t.input instanceof vscode.TabInputText && t.input.uri.toString() === key) ||
    (t.input instanceof vscode.TabInputTextDiff && (t.input.original.toString() === key || t.input.modified.toString() === key))));
}

async function sideDocument(title: string, problem: string, proof: string, note: string): Promise<vscode.Uri> {
  const quote = problem.split('\n').map(l => `> ${l}`).join('\n');
  const content = `# ${title}\n\n_${note}_\n\n${quote}\n\n## Proof\n\n${proof}\n`;
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
  return doc.uri;
}

function toModelError(error: ProverError): ModelError {
  const code = error.modelCode;
  if (error.code === 'contextOverflow') return new ModelError('contextOverflow', error.message);
  // Any model error code (the local runtime's, or an inference server's) keeps its code, so its fix is offered.
  if (isModelErrorCode(code) && code !== 'aborted') return new ModelError(code, error.message);
  return new ModelError('internal', error.message);
}

export class ProofCommands {
  constructor(private readonly o: ProofCommandsOptions) {}

  /** Outlines a document's text with its project's declarations when the workspace index is there. */
  private outliner(doc: vscode.TextDocument): Outliner | undefined {
    const project = this.o.project;
    return project ? (text, language) => project.outlineText(doc, text, language) : undefined;
  }

  /**
   * Runs a reasoning-cache stream (a new run, or an extension of a stored one) under a cancellable notification;
   * returns the final record, or undefined (error shown).
   */
  private async run(title: string, context: RunContext, start: (model: ProverModel, signal: AbortSignal, prompts: LoadedPrompts) => ProverStream, plan?: string): Promise<RunRecord | undefined> {
    const { service } = this.o;
    if (service.busy) {
      void vscode.window.showWarningMessage('QED-Nano is already working. Wait for it, or stop it with "QED-Nano: Stop".');
      return undefined;
    }
    let prompts: LoadedPrompts;
    try {
      prompts = loadPrompts(promptOverrides());
    } catch (error) {
      // Checked before any model work: a broken override must never become a silently wrong prompt.
      if (!(error instanceof PromptTemplateError)) throw error;
      service.reportError(new ModelError('internal', `${error.message} Fix the file, or clear the setting qedNano.promptsDir to use the built-in prompts.`));
      return undefined;
    }
    const modelPath = await service.requireModelPath();
    if (!modelPath) return undefined;
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `QED-Nano: ${title}`, cancellable: true }, (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: plan ? `${plan}; loading the model…` : 'loading the model…' });
        return service.session(modelPath, async session => {
          const cap = this.o.solveTokenCap();
          // Calls go solve 1, summary 1, solve 2, …: cycle k's solve is call 2k - 1 (the events arrive too late to tell).
          let calls = 0;
          const model = cap ? {
            ...session.model,
            generate: (req: Parameters<typeof session.model.generate>[0], opts: Parameters<typeof session.model.generate>[1]) =>
              session.model.generate(++calls === 2 * cap.cycle - 1 ? { ...req, maxTokens: cap.maxTokens } : req, opts),
          } : session.model;
          const stream = start(model, session.signal, prompts);
          let next = await stream.next();
          while (!next.done) {
            const e = next.value;
            this.o.onEvent(e, context);
            if (e.type === 'phaseStarted') {
              session.setCycle(e.cycle, e.of, e.phase === 'summarize');
              progress.report({ message: `cycle ${e.cycle} of ${e.of}: ${e.phase === 'solve' ? 'solving' : 'summarising'}…` });
            }
            // A solve that stopped at its budget without `</think>` or a proof: say so, it is not the model's choice.
            if (e.type === 'phaseDone' && e.phase === 'solve' && e.truncated && e.stats.stopReason === 'maxTokens') {
              session.noteCutOff(e.cycle, e.stats.generatedTokens);
            }
            if (e.type === 'attemptStarted') {
              progress.report({ message: e.origin.kind === 'refine' ? `round ${e.round}: attempt ${e.attempt}, refining attempt ${e.origin.fromAttempt}…` : `attempt ${e.attempt}…` });
            }
            if (e.type === 'verificationStarted') progress.report({ message: `checking attempt ${e.attempt} (${e.verification})…` });
            if (e.type === 'attemptScored') progress.report({ message: `attempt ${e.attempt}: ${e.scores.mean === null ? 'no readable score' : `${e.scores.mean} average`}` });
            if (e.type === 'runFailed') throw e.error;
            next = await stream.next();
          }
          return next.value;
        }, { signal: controller.signal, delayBeforeCallMs: this.o.delayBeforeCallMs() });
      });
    } catch (error) {
      service.reportError(error instanceof ProverError ? toModelError(error) : error);
      return undefined;
    }
  }

  /** One more cycle of a stored run (from the reasoning cache view), optionally with the summary rewritten by the user. */
  async extendRun(record: RunRecord, context: RunContext, summary?: string): Promise<RunRecord | undefined> {
    const what = summary === undefined ? 'one more cycle' : 'continuing from your summary';
    return this.run(`${what} on ${context.theorem}`, context, (model, signal, prompts) =>
      extend({ model, record, cycles: 1, ...(summary !== undefined ? { summary } : {}), prompts, signal, allowModelChange: true }));
  }

  /** Prove the theorem at the cursor (or the selected statement) and insert the proof right after it. */
  async prove(args?: ProofCommandArgs): Promise<ProveResult | undefined> {
    const target = await targetDocument(args, 'prove');
    if (!target) return undefined;
    const { doc, language } = target;
    const text = doc.getText();
    const theorem = theoremAt(outlineOf(text, language, this.outliner(doc)), target.offset);
    let anchor: TheoremAnchor | undefined;
    let selected: { text: string; start: number } | undefined;
    let statement: string;
    if (theorem) {
      anchor = anchorOf(theorem);
      statement = theorem.statement;
    } else if (target.selection && !target.selection.isEmpty) {
      statement = doc.getText(target.selection).trim();
      selected = { text: doc.getText(target.selection), start: doc.offsetAt(target.selection.start) };
    } else {
      void vscode.window.showWarningMessage('There is no theorem under the cursor: put the cursor in a theorem (or select the statement to prove).');
      return undefined;
    }
    if (!statement) {
      void vscode.window.showWarningMessage('The statement is empty: select the theorem to prove.');
      return undefined;
    }
    const problem = problemOf(outlineOf(text, language, this.outliner(doc)), theorem, statement);
    const name = theorem?.label ?? 'the selection';
    const placement: PlacementTarget = anchor ? { kind: 'theorem', anchor } : { kind: 'selection', text: selected!.text, start: selected!.start, replace: false };
    const context = runContext(doc, language, 'prove', theorem, statement, placement);
    const strategy = strategySettings();
    // The plan's upper bound is shown before anything runs: the loaded model's context when there is one (the
    // settings of the run itself are sized to the model it gets), the time from this machine's last measured speed.
    const tps = this.o.service.measuredTokensPerSecond;
    const planContext = this.o.service.modelClient.info?.contextSize ?? AUTO_CONTEXT_CAP;
    const estimate = estimateBudget(resolveSettings(proverSettings(planContext, problemTokensHigh(problem))), resolveStrategy(strategy), tps);
    const plan = strategy.name !== 'reasoning-cache' ? describeBudget(estimate, tps) : undefined;
    // A large run is the user's decision: its estimate first, Run or Cancel (nothing starts, nothing changes).
    if (estimate.maxTokens > confirmRunsOverTokens() && !(await this.confirmRun(estimate, tps))) {
      return this.tell({ status: 'cancelled', message: `Not started: ${estimate.strategy} on ${name} was cancelled before it ran.`, estimate });
    }
    const record = await this.run(`proving ${name}${strategy.name === 'reasoning-cache' ? '' : ` (${strategy.name})`}`, context, (model, signal, prompts) => runStrategy({
      model, problem, source: { file: doc.uri.toString(), label: theorem?.label ?? null }, settings: settingsFor(model, problem), strategy: strategySettings(model.info.contextSize), prompts, signal,
      ...(this.o.service.measuredTokensPerSecond ? { tokensPerSecond: this.o.service.measuredTokensPerSecond } : {}),
    }), plan);
    if (!record) return { status: 'failed', message: 'The run did not complete (see the error message).' };
    const outcome = record.outcome;
    if (outcome.status === 'cancelled') return this.tell({ status: 'cancelled', message: 'Stopped: nothing was inserted.', record });
    if (outcome.status === 'failed') return { status: 'failed', message: outcome.error?.message ?? 'The run failed.', record };

    const truncated = outcome.status !== 'proved';
    const proof = truncated ? outcome.fallback?.proof : outcome.proof ?? undefined;
    if (!proof) {
      return this.tell({ status: 'truncated', message: `The model ran out of tokens in every ${record.strategy.name === 'reasoning-cache' ? 'cycle' : 'attempt'} before finishing a proof: nothing was inserted. Raise qedNano.maxTokensPerCycle and try again.`, record }, true);
    }
    const placed = await this.place(doc, language, placement, name, problem, proof, truncated ? outcome.fallback?.label ?? '' : undefined);
    return { ...placed, record };
  }

  /**
   * Puts `proof` at its target in `doc`, found again in the CURRENT text: inserted as one undoable edit when the
   * theorem has no proof; proposed as a diff when it would replace something (an existing proof, a selection to
   * replace) or when it is a fallback (`fallbackLabel`); in a side document when the document was closed or the
   * target is gone. Never overwrites anything.
   */
  async place(doc: vscode.TextDocument, language: DocumentLanguage, target: PlacementTarget, name: string, problem: string, proof: string, fallbackLabel?: string): Promise<ProveResult> {
    const truncated = fallbackLabel !== undefined;
    if (!isOpen(doc)) {
      const side = await sideDocument('QED-Nano proof', problem, proof, 'The document was closed while QED-Nano worked, so nothing was inserted.');
      return this.tell({ status: 'side', proof, document: side, message: 'The document was closed while QED-Nano worked, so nothing was inserted; the proof is in an untitled side document.' }, true);
    }

    // Where the proof goes NOW: the same theorem (or the same selected text) in the current text.
    const current = doc.getText();
    const locate = (t: string): { start: number; end: number; theorem?: Theorem } | { error: string } => {
      if (target.kind === 'theorem') {
        const found = findTheorem(outlineOf(t, language, this.outliner(doc)), target.anchor);
        if (!found) return { error: 'The theorem changed while QED-Nano worked.' };
        if (found.proof) return { start: found.proof.bodyRange.startOffset, end: found.proof.bodyRange.endOffset, theorem: found };
        const ins = proofInsertion(t, outlineOf(t, language, this.outliner(doc)), found, proof);
        return { start: ins.offset, end: ins.offset, theorem: found };
      }
      const at = nearestOccurrence(t, target.text, target.start);
      if (at < 0) return { error: 'The selected text changed while QED-Nano worked.' };
      return target.replace ? { start: at, end: at + target.text.length } : { start: at + target.text.length, end: at + target.text.length };
    };
    const where = locate(current);
    if ('error' in where) {
      const side = await sideDocument('QED-Nano proof', problem, proof, `${where.error} Nothing was inserted.`);
      return this.tell({ status: 'side', proof, document: side, message: `${where.error.replace(/\.$/, '')}, so nothing was inserted; the proof is in an untitled side document.` }, true);
    }

    const existing = where.theorem?.proof;
    const replacing = target.kind === 'selection' && target.replace;
    const insertText = existing ? proofBody(proof, language, existing.style)
      : replacing ? proofBody(proof, language)
        : where.theorem ? proofInsertion(current, outlineOf(current, language, this.outliner(doc)), where.theorem, proof).text
          : `${language === 'latex' ? '\n' : '\n\n'}${proofBlock(proof, language, proofStyle(outlineOf(current, language, this.outliner(doc))))}`;

    if (existing || replacing || truncated) {
      // Never overwrite a proof, and never insert a fallback silently: propose it as a diff.
      const oldText = current.slice(where.start, where.end);
      const proposalTarget = {
        newText: insertText,
        locate: (t: string) => {
          if (existing) return locateProofBody(t, language, anchorOf(where.theorem!), oldText, this.outliner(doc));
          const again = locate(t);
          if ('error' in again) return again;
          return t.slice(again.start, again.end) === oldText ? { start: again.start, end: again.end } : { error: 'The text changed since QED-Nano proposed this.' };
        },
      };
      const why = truncated
        ? `The last cycle was cut off before it finished its proof, so nothing was inserted. ${fallbackLabel} Review it in the diff: Accept or Reject.`
        : `${name} already has a proof: the new proof is shown as a diff. Accept replaces the old proof; Reject keeps it.`;
      const p = await this.o.proposals.propose(doc, proposalTarget, truncated ? `earlier proof for ${name}` : `new proof for ${name}`, why);
      if ('error' in p) return this.tell({ status: 'refused', proof, message: p.error }, true);
      return { status: truncated ? 'truncated' : 'proposed', proof, proposal: p.uri, message: why };
    }

    const ok = await applyOneEdit(doc, where.start, where.end, insertText);
    if (!ok) {
      const side = await sideDocument('QED-Nano proof', problem, proof, 'VS Code refused the edit, so nothing was inserted.');
      return this.tell({ status: 'side', proof, document: side, message: 'VS Code refused the edit; the proof is in an untitled side document.' }, true);
    }
    return this.tell({ status: 'inserted', proof, inserted: insertText, message: `Proof of ${name} inserted (one Undo removes it).` });
  }

  /** Refine the selected proof (or the proof under the cursor): a run seeded with it, the result proposed as a diff. */
  async refine(args?: ProofCommandArgs): Promise<ProveResult | undefined> {
    const target = await targetDocument(args, 'refine');
    if (!target) return undefined;
    const { doc, language } = target;
    const text = doc.getText();
    const outline = outlineOf(text, language, this.outliner(doc));
    let old: { start: number; end: number };
    let theorem: Theorem | undefined;
    let bySelection = false;
    if (target.selection && !target.selection.isEmpty) {
      old = { start: doc.offsetAt(target.selection.start), end: doc.offsetAt(target.selection.end) };
      theorem = theoremAt(outline, old.start);
      bySelection = !theorem?.proof || theorem.proof.bodyRange.startOffset !== old.start || theorem.proof.bodyRange.endOffset !== old.end;
    } else {
      theorem = theoremAt(outline, target.offset);
      if (!theorem?.proof) {
        void vscode.window.showWarningMessage(theorem ? `${theorem.label} has no proof yet: use "QED-Nano: Prove Theorem at Cursor".` : 'There is no proof under the cursor: put the cursor in a proof (or select it).');
        return undefined;
      }
      old = { start: theorem.proof.bodyRange.startOffset, end: theorem.proof.bodyRange.endOffset };
    }
    if (!theorem) {
      void vscode.window.showWarningMessage('The selected proof is not under a theorem QED-Nano can find, so it does not know what it proves.');
      return undefined;
    }
    const oldBody = text.slice(old.start, old.end);
    if (!oldBody.trim()) {
      void vscode.window.showWarningMessage('The proof is empty: use "QED-Nano: Prove Theorem at Cursor".');
      return undefined;
    }
    const instruction = args?.instruction ?? await vscode.window.showInputBox({
      title: `QED-Nano: refine the proof of ${theorem.label}`,
      prompt: 'What should be fixed? (optional)',
      placeHolder: 'e.g. the case n = 0 is missing; leave empty to let QED-Nano check the whole proof',
    });
    if (instruction === undefined) return undefined;
    const seed = instruction.trim() ? `${oldBody.trim()}\n\nNote from the author of this attempt: ${instruction.trim()}` : oldBody.trim();
    const problem = problemOf(outline, theorem, theorem.statement);
    const placement: PlacementTarget = bySelection ? { kind: 'selection', text: oldBody, start: old.start, replace: true } : { kind: 'theorem', anchor: anchorOf(theorem) };
    const context = runContext(doc, language, 'refine', theorem, theorem.statement, placement);
    const record = await this.run(`refining the proof of ${theorem.label}`, context, (model, signal, prompts) => prove({
      model, problem, source: { file: doc.uri.toString(), label: theorem.label }, settings: settingsFor(model, problem + seed), prompts, seed: { text: seed, file: doc.uri.toString() }, signal,
    }));
    if (!record) return { status: 'failed', message: 'The run did not complete (see the error message).' };
    const outcome = record.outcome;
    if (outcome.status === 'cancelled') return this.tell({ status: 'cancelled', message: 'Stopped: the proof is unchanged.', record });
    if (outcome.status === 'failed') return { status: 'failed', message: outcome.error?.message ?? 'The run failed.', record };
    const proof = outcome.proof ?? outcome.fallback?.proof;
    if (!proof) return this.tell({ status: 'truncated', message: 'The model ran out of tokens in every cycle before finishing a proof: nothing to propose. Raise qedNano.maxTokensPerCycle.', record }, true);
    if (doc.isClosed) {
      const side = await sideDocument('QED-Nano refined proof', problem, proof, 'The document was closed while QED-Nano worked.');
      return this.tell({ status: 'side', proof, document: side, record, message: 'The document was closed while QED-Nano worked; the refined proof is in an untitled side document.' }, true);
    }
    const newBody = proofBody(proof, language, theorem.proof?.style);
    const anchor = anchorOf(theorem);
    const p = await this.o.proposals.propose(doc, {
      newText: newBody,
      // The whole proof body: found again through its theorem, and only if it is still exactly the same text.
      // A selection inside a proof: found again by its text, nearest to where it was.
      locate: t => {
        if (!bySelection) return locateProofBody(t, language, anchor, oldBody, this.outliner(doc));
        const at = nearestOccurrence(t, oldBody, old.start);
        return at < 0 ? { error: 'The selected text changed since QED-Nano proposed this.' } : { start: at, end: at + oldBody.length };
      },
    }, `refined proof of ${theorem.label}`,
    `${outcome.status === 'proved' ? 'Refined' : `Refined (${outcome.fallback?.label ?? 'an earlier cycle'})`} proof of ${theorem.label}: review the diff, then Accept or Reject.`);
    if ('error' in p) {
      const side = await sideDocument('QED-Nano refined proof', problem, proof, `${p.error} Nothing was proposed.`);
      return this.tell({ status: 'side', proof, document: side, record, message: `${p.error} The refined proof is in an untitled side document.` }, true);
    }
    return { status: 'proposed', proof, proposal: (p as Proposal).uri, record, message: 'Refined proof proposed as a diff.' };
  }

  /** The modal question before a large run; true: run it. "Don't ask again…" raises the threshold to this run's size. */
  private async confirmRun(estimate: BudgetEstimate, tokensPerSecond: number | undefined): Promise<boolean> {
    const { message, detail } = confirmationText(estimate, tokensPerSecond);
    const RUN = 'Run';
    const RAISE = "Run, and don't ask again for runs under this size";
    const choice = await this.o.askModal(message, detail, [RUN, RAISE]);
    if (choice === RAISE) await raiseConfirmThreshold(estimate.maxTokens);
    return choice === RUN || choice === RAISE;
  }

  private tell(r: ProveResult, warn = false): ProveResult {
    const message = `QED-Nano: ${r.message}`;
    if (warn) void vscode.window.showWarningMessage(message); else void vscode.window.showInformationMessage(message);
    return r;
  }
}
