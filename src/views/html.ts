/**
 * The HTML shell of every webview: a strict content security policy with a nonce, the bundle and style sheets
 * as webview URIs. Pure (no vscode import) so the webview tests load the same page the extension serves.
 */

export interface WebviewHtmlOptions {
  title: string;
  /** `webview.cspSource`: the origin of the webview's local resources. */
  cspSource: string;
  /** A fresh random value per render; only scripts carrying it run. */
  nonce: string;
  /** Script URIs (already `asWebviewUri`-converted), loaded as classic scripts with the nonce. */
  scripts: string[];
  /** Style sheet URIs. */
  styles?: string[];
  /** Extra markup for the body, trusted (built by the extension, never from note text). */
  body?: string;
  /**
   * Allow inline style attributes/elements. Off by default; a component library that sets `style` attributes
   * needs it (the webview tests report CSP violations, so a missing permission shows up there).
   */
  inlineStyles?: boolean;
  /** Allow fonts from the webview's resources (codicons). */
  fonts?: boolean;
}

export function buildCsp(o: Pick<WebviewHtmlOptions, 'cspSource' | 'nonce' | 'inlineStyles' | 'fonts'>): string {
  const directives = [
    `default-src 'none'`,
    `script-src 'nonce-${o.nonce}'`,
    `style-src ${o.cspSource}${o.inlineStyles ? ` 'unsafe-inline'` : ''}`,
    `img-src ${o.cspSource} data:`,
    ...(o.fonts ? [`font-src ${o.cspSource}`] : []),
  ];
  return directives.join('; ') + ';';
}

export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function webviewHtml(o: WebviewHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('webviewHtml: the nonce must be 16+ base64 characters');
  const styles = (o.styles ?? []).map((u) => `<link rel="stylesheet" href="${escapeAttr(u)}">`).join('\n    ');
  const scripts = o.scripts.map((u) => `<script nonce="${o.nonce}" src="${escapeAttr(u)}"></script>`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(buildCsp(o))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${escapeAttr(o.title)}</title>
  </head>
  <body>
    ${o.body ?? ''}
    ${scripts}
  </body>
</html>`;
}
