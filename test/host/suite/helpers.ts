// Shared helpers for the extension-host suites (bundled into each *.test.js by esbuild).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'qed-nano.qed-nano';

/** A line in the suite's output (the harness prints $QED_TEST_LOG), e.g. a timing; also on the console. */
export function note(...args: unknown[]): void {
  const line = `      ${format(...args)}`;
  if (process.env.QED_TEST_LOG) fs.appendFileSync(process.env.QED_TEST_LOG, line + '\n');
  console.log(line);
}

/** The part of the extension's activate() result the suites use (src/extension.ts). */
export interface QedApi {
  activationMs: number;
  client(): unknown;
  generate(
    messages: { role: 'system' | 'user' | 'assistant'; content: string }[],
    opts?: { maxTokens?: number; thoughtTokenBudget?: number },
  ): Promise<{ thought: string; text: string; stopReason: string }>;
  modelInfo(): Promise<{ architecture: string; gpuType: string; loadTimeMs: number; modelPath: string } & Record<string, unknown>>;
  /** How many times the model has been loaded by the worker. */
  loadCount(): number;
  /** The last error the extension showed the user. */
  lastError(): { code: string; message: string } | undefined;
  nodeLlamaLoadedInHost(): boolean;
  onProverEvent: vscode.Event<{ type: string; cycle?: number; phase?: string }>;
  busy(): boolean;
  statusText(): string;
  setDelayBeforeCallMs(ms: number): void;
  setSolveTokenCap(cap: { cycle: number; maxTokens: number } | undefined): void;
  pendingProposals(): string[];
}

/** What qedNano.proveTheorem / qedNano.refineProof return (src/editor/proofCommands.ts ProveResult). */
export interface ProveResult {
  status: 'inserted' | 'proposed' | 'side' | 'cancelled' | 'failed' | 'truncated' | 'refused';
  message: string;
  proof?: string;
  inserted?: string;
  document?: vscode.Uri;
  proposal?: vscode.Uri;
  record?: { problem: { text: string }; seed: { text: string } | null; cycles: { solve: { reasoning: string; proof: string } }[]; outcome: { status: string } };
}

/** Polls until `ok()` holds (every 25 ms), failing after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (let t = 0; t < ms && !ok(); t += 25) await new Promise(r => setTimeout(r, 25));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/** Resolves on the first prover event that matches (e.g. the first solve call has started). */
export function nextProverEvent(api: QedApi, match: (e: { type: string; cycle?: number; phase?: string }) => boolean, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error('no matching prover event')); }, ms);
    const sub = api.onProverEvent(e => { if (match(e)) { clearTimeout(timer); sub.dispose(); resolve(); } });
  });
}

/** Writes `name` into the workspace folder with `content`, opens it in column one, and puts the cursor at `cursorAt` (a substring). */
export async function openWorkspaceFile(name: string, content: string, cursorAt?: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the harness opens a workspace folder');
  const uri = vscode.Uri.joinPath(folder.uri, name);
  fs.writeFileSync(uri.fsPath, content);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.getText() !== content) {
    // Open from an earlier test with other content: revert to what is on disk now.
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  assert.equal(editor.document.getText(), content);
  if (cursorAt !== undefined) {
    const at = content.indexOf(cursorAt);
    assert.ok(at >= 0, `"${cursorAt}" is not in ${name}`);
    const pos = editor.document.positionAt(at + 1);
    editor.selection = new vscode.Selection(pos, pos);
  }
  return editor;
}

export interface Expected { modelPath: string; thinking: string; answer: string; architecture: string; gpuType: string }

export function extension(): vscode.Extension<QedApi> {
  const ext = vscode.extensions.getExtension<QedApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

/** Activate the way a user does: open a Markdown document (an activation event), then wait for isActive. */
export async function activateByMarkdown(): Promise<QedApi> {
  const ext = extension();
  if (!ext.isActive) {
    // The harness's workspace has theorem.md; otherwise an untitled Markdown document does the same.
    const folder = vscode.workspace.workspaceFolders?.[0];
    const file = folder && vscode.Uri.joinPath(folder.uri, 'theorem.md');
    const doc = file && fs.existsSync(file.fsPath)
      ? await vscode.workspace.openTextDocument(file)
      : await vscode.workspace.openTextDocument({ language: 'markdown', content: '# Theorem\n\n$n^2 - n$ is even.\n' });
    await vscode.window.showTextDocument(doc);
    for (let i = 0; i < 200 && !ext.isActive; i++) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(ext.isActive, 'opening a Markdown document did not activate the extension within 10 s');
  return ext.exports;
}

/** What the harness's fixtures step (test/host/fixtures.js) wrote to $QED_TEST_FIXTURES. */
export function expectedFixture(): Expected {
  const dir = process.env.QED_TEST_FIXTURES;
  assert.ok(dir, 'QED_TEST_FIXTURES is not set (run through test/host/run.js --scripted-model)');
  const file = path.join(dir, 'expected.json');
  assert.ok(fs.existsSync(file), `${file} is missing (run test/host/run.js with --scripted-model)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Expected;
}

/** node-llama-cpp must live only in the model worker process, never in the extension host. */
export function assertNoNodeLlamaInHost(): void {
  const modules = Object.keys(require.cache).filter((k) => k.includes('node-llama-cpp'));
  assert.deepEqual(modules, [], 'node-llama-cpp modules are in the extension host require.cache');
  if (process.platform === 'linux') {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('llama-addon.node'));
    assert.deepEqual(maps, [], 'llama-addon.node is mapped into the extension host process');
  }
}

/**
 * A screenshot of the workbench taken now, while the extension is alive (test/host/run.js serves the request).
 * Returns the PNG path; outside the harness (no QED_SHOT_REQUESTS) it does nothing.
 */
export async function screenshot(name: string): Promise<string | undefined> {
  const dir = process.env.QED_SHOT_REQUESTS;
  if (!dir) return undefined;
  const done = path.join(dir, `${name}.done`);
  fs.rmSync(done, { force: true });
  fs.writeFileSync(path.join(dir, `${name}.request`), '');
  for (let i = 0; i < 150 && !fs.existsSync(done); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(fs.existsSync(done), `the harness did not take screenshot "${name}" within 15 s`);
  const answer = fs.readFileSync(done, 'utf8');
  assert.ok(!answer.startsWith('error:'), `screenshot "${name}" failed: ${answer}`);
  note(`screenshot: ${answer}`);
  return answer;
}
