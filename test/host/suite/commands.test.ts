// Every command the manifest contributes is registered once the extension is active, with a "QED-Nano: " title.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateByMarkdown, extension } from './helpers';

const EXPECTED = [
  'qedNano.proveTheorem',
  'qedNano.refineProof',
  'qedNano.acceptProposal',
  'qedNano.rejectProposal',
  'qedNano.showReasoningCache',
  'qedNano.previewMath',
  'qedNano.cancel',
  'qedNano.selectModel',
  'qedNano.downloadModel',
  'qedNano.showModelInfo',
];

interface ContributedCommand { command: string; title: string }

suite('commands', () => {
  const contributed = (): ContributedCommand[] => extension().packageJSON.contributes?.commands ?? [];

  test('the manifest contributes exactly the expected commands', () => {
    assert.deepEqual(contributed().map((c) => c.command).sort(), [...EXPECTED].sort());
  });

  test('each command title starts with "QED-Nano: "', () => {
    for (const c of contributed()) assert.match(c.title, /^QED-Nano: \S/, `${c.command} has title "${c.title}"`);
  });

  test('every contributed command is registered after activation', async () => {
    await activateByMarkdown();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = EXPECTED.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `not registered: ${missing.join(', ')}`);
  });
});
