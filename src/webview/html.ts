// The webview options and HTML shell every QED-Nano webview uses (the document itself: shell.ts).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { webviewDocument } from './shell';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
  };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: { title: string; script: string; styles: string[]; liveRegion?: boolean }): string {
  const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  return webviewDocument({
    title: opts.title,
    cspSource: webview.cspSource,
    nonce: randomBytes(16).toString('base64'),
    scriptUri: asset('dist', 'webview', opts.script),
    styleUris: opts.styles.map(s => asset('media', s)),
    ...(opts.liveRegion !== undefined ? { liveRegion: opts.liveRegion } : {}),
  });
}
