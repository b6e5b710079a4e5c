// The HTML document of every QED-Nano webview, as a pure function (no VS Code), so the headless-Chromium tests and
// benchmarks load the webview scripts in exactly the page, and under exactly the CSP, that VS Code shows.
//
// CSP: nothing by default; scripts only with this page's nonce; style sheets and fonts only from the extension
// (VS Code's cspSource). Inline style ATTRIBUTES are allowed (style-src-attr) because KaTeX positions glyphs with
// them; <style> elements and remote styles stay blocked (style-src-elem), and markdown-it never emits raw HTML.

export interface ShellOptions {
  title: string;
  /** VS Code's webview.cspSource (in tests: the origin that serves the assets). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUris: string[];
  /** aria-live on the root: right for small views that change as a whole, wrong for streaming text. */
  liveRegion?: boolean;
}

export function escapeAttribute(s: string): string {
  return s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src-elem ${cspSource}`,
    "style-src-attr 'unsafe-inline'",
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function webviewDocument(o: ShellOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.styleUris.map(s => `<link rel="stylesheet" href="${escapeAttribute(s)}">`).join('\n')}
<title>${escapeAttribute(o.title)}</title>
</head>
<body>
<main id="root"${o.liveRegion === false ? '' : ' aria-live="polite"'}><p class="muted">Loading…</p></main>
<script nonce="${escapeAttribute(o.nonce)}" src="${escapeAttribute(o.scriptUri)}"></script>
</body>
</html>`;
}
