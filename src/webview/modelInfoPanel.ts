// "QED-Nano: Show Model Info": what is loaded, on which backend, and why a GPU was not used.
import * as vscode from 'vscode';
import { isFromModelInfoWebview, type ModelInfoView, type ToModelInfoWebview } from './protocol';
import { webviewHtml, webviewOptions } from './html';

export class ModelInfoPanel implements vscode.Disposable {
  private static current: ModelInfoPanel | undefined;
  private ready = false;
  private pending: ModelInfoView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, view: ModelInfoView, output: vscode.LogOutputChannel): ModelInfoPanel {
    if (ModelInfoPanel.current) {
      ModelInfoPanel.current.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel('qedNano.modelInfo', 'QED-Nano Model', vscode.ViewColumn.Beside, webviewOptions(extensionUri));
      ModelInfoPanel.current = new ModelInfoPanel(panel, extensionUri, output);
    }
    ModelInfoPanel.current.post(view);
    return ModelInfoPanel.current;
  }

  private constructor(readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, output: vscode.LogOutputChannel) {
    panel.webview.html = webviewHtml(panel.webview, extensionUri, { title: 'QED-Nano Model', script: 'modelInfo.js', styles: ['webview.css'] });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage(message => {
        if (!isFromModelInfoWebview(message)) { output.warn(`Ignored an unexpected message from the model info view: ${JSON.stringify(message).slice(0, 200)}`); return; }
        if (message.type === 'ready') { this.ready = true; if (this.pending) this.post(this.pending); return; }
        if (message.command === 'qedNano.openOutput') output.show(true);
        else void vscode.commands.executeCommand(message.command);
      }),
    );
  }

  /** Held until the webview says it is ready, so nothing sent before its script runs is lost. */
  private post(view: ModelInfoView): void {
    this.pending = view;
    if (!this.ready) return;
    const message: ToModelInfoWebview = { type: 'modelInfo', view };
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (ModelInfoPanel.current === this) ModelInfoPanel.current = undefined;
    this.disposables.forEach(d => d.dispose());
    this.panel.dispose();
  }
}
