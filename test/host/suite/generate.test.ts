// A scripted GGUF model (made by the harness) is loaded by the model worker and its exact thinking and proof text
// come back through the extension's API, on the CPU, with node-llama-cpp kept out of the extension host.
import * as vscode from 'vscode';
import { activateByMarkdown, extension, note } from './helpers';
import { defineGenerateTests } from './generate-shared';

suite('generate through the model worker', () => {
  suiteSetup(() => {
    const config = vscode.workspace.getConfiguration('qedNano');
    note(`settings: modelPath=${config.get('modelPath')} gpu=${config.get('gpu')} threads=${config.get('threads')}`);
  });
  defineGenerateTests(async () => { extension(); return activateByMarkdown(); });
});
