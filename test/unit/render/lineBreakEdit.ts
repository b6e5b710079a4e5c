// Random line-break edits for the incremental preview tests (./incrementalMarkdown.test, ./incrementalLatex.test).

/** Enter pressed somewhere (a line split, or a blank line when at a line's start or end; sometimes twice), or a line
 *  break removed (Backspace at a line's start): what moves the lines below. As an editor does it: with the document's
 *  line ending, never between the two characters of a CRLF. */
export function lineBreakEdit(text: string, r: () => number): string {
  let at = Math.floor(r() * (text.length + 1));
  if (text[at - 1] === '\r' && text[at] === '\n') at--;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const k = r();
  if (k < 0.5) return `${text.slice(0, at)}${eol}${text.slice(at)}`;
  if (k < 0.7) return `${text.slice(0, at)}${eol}${eol}${text.slice(at)}`;
  const nl = text.indexOf('\n', at);
  if (nl < 0) return `${text}${eol}`;
  const from = text[nl - 1] === '\r' ? nl - 1 : nl;
  return text.slice(0, from) + text.slice(nl + 1);
}
