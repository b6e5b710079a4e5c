// Every command the manifest contributes is registered once the extension is active, with a "QED-Nano: " title.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { activateByMarkdown, extension } from './helpers';

const EXPECTED = [
  'qedNano.proveTheorem',
  'qedNano.refineProof',
  'qedNano.checkProof',
  'qedNano.acceptProposal',
  'qedNano.rejectProposal',
  'qedNano.showReasoningCache',
  'qedNano.exportRun',
  'qedNano.previewMath',
  'qedNano.cancel',
  'qedNano.selectModel',
  'qedNano.downloadModel',
  'qedNano.cancelDownload',
  'qedNano.setHuggingFaceToken',
  'qedNano.openExample',
  'qedNano.showModelInfo',
  'qedNano.setServerApiKey',
  'qedNano.enableCuda',
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

  test('keybindings, the editor context menu and the diff\'s title bar carry Prove, Refine, Accept and Reject', () => {
    const pkg = extension().packageJSON as { contributes: { keybindings: { command: string; key: string; mac: string; when: string }[]; menus: Record<string, { command: string; when?: string }[]> } };
    const keys = Object.fromEntries(pkg.contributes.keybindings.map((k) => [k.command, k]));
    assert.equal(keys['qedNano.proveTheorem']?.key, 'ctrl+alt+p');
    assert.equal(keys['qedNano.refineProof']?.key, 'ctrl+alt+r');
    assert.equal(keys['qedNano.acceptProposal']?.when, 'qedNano.proposalActive');
    assert.equal(keys['qedNano.rejectProposal']?.when, 'qedNano.proposalActive');
    for (const k of pkg.contributes.keybindings) assert.match(k.mac, /^cmd\+alt\+/, k.command);
    assert.deepEqual(pkg.contributes.menus['editor/context']?.map((m) => m.command), ['qedNano.proveTheorem', 'qedNano.refineProof', 'qedNano.checkProof', 'qedNano.cancel']);
    // (VS Code hands back the when clause normalised, with the value quoted.)
    assert.deepEqual(pkg.contributes.menus['editor/title']?.map((m) => [m.command, m.when?.replace(/'/g, '')]), [
      ['qedNano.acceptProposal', 'resourceScheme == qed-nano-proposal'],
      ['qedNano.rejectProposal', 'resourceScheme == qed-nano-proposal'],
    ]);
  });

  test('the walkthrough: every step\'s media exists in the extension and its command links name contributed commands', () => {
    const ext = extension();
    const walkthroughs = (ext.packageJSON as { contributes: { walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown: string } }[] }[] } }).contributes.walkthroughs;
    assert.equal(walkthroughs.length, 1);
    const steps = walkthroughs[0]!.steps;
    assert.deepEqual(steps.map(s => s.id), ['getModel', 'proveFirst', 'watchCache', 'refine', 'strategies', 'preview']);
    for (const step of steps) {
      const media = vscode.Uri.joinPath(ext.extensionUri, step.media.markdown).fsPath;
      assert.ok(fs.existsSync(media), `${step.id}: ${step.media.markdown} is not in the extension`);
      const linked = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map(m => m[1]!);
      assert.ok(linked.length > 0, `${step.id} has no command link`);
      for (const c of linked) assert.ok(EXPECTED.includes(c), `${step.id} links ${c}, which is not contributed`);
    }
    assert.ok(fs.existsSync(vscode.Uri.joinPath(ext.extensionUri, 'examples', 'olympiad.md').fsPath), 'the example the walkthrough opens is not shipped');
  });

  test('every contributed command is registered after activation', async () => {
    await activateByMarkdown();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = EXPECTED.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `not registered: ${missing.join(', ')}`);
  });
});
