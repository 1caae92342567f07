/** The panel's style sheet, adopted as a constructable style sheet (allowed by the CSP, unlike <style>). */
export const css = `
body { font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); color: var(--vscode-foreground, #333); padding: 0 16px 16px; }
h1 { font-size: 1.3em; margin: 12px 0 4px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
h2 { font-size: 1.05em; margin: 18px 0 6px; }
.badge { font-size: 0.75em; padding: 1px 8px; border-radius: 10px; border: 1px solid currentColor; text-transform: uppercase; letter-spacing: 0.04em; }
.badge.running { color: var(--vscode-charts-blue, #1a85ff); }
.badge.finished { color: var(--vscode-charts-green, #388a34); }
.badge.failed { color: var(--vscode-errorForeground, #e51400); }
.badge.interrupted { color: var(--vscode-charts-yellow, #bf8803); }
.detail { color: var(--vscode-descriptionForeground, #666); margin: 0 0 8px; }
.stats { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0; }
.stats span b { font-weight: 600; }
.actions { display: flex; gap: 8px; margin: 10px 0; flex-wrap: wrap; }
button { font: inherit; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c); border: none; padding: 4px 12px; cursor: pointer; border-radius: 2px; }
button:hover:not([disabled]) { background: var(--vscode-button-hoverBackground, #1177bb); }
button.secondary { color: var(--vscode-button-secondaryForeground, #fff); background: var(--vscode-button-secondaryBackground, #5f6a79); }
button[disabled] { opacity: 0.4; cursor: not-allowed; background: var(--vscode-button-secondaryBackground, #5f6a79); }
.error { border-left: 3px solid var(--vscode-errorForeground, #e51400); padding: 4px 10px; margin: 8px 0; background: var(--vscode-inputValidation-errorBackground, rgba(229, 20, 0, 0.08)); white-space: pre-wrap; }
.error .hint { color: var(--vscode-descriptionForeground, #666); margin-top: 4px; }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; }
svg.chart .axis line, svg.chart .grid line { stroke: var(--vscode-editorWidget-border, #ccc); stroke-width: 1; }
svg.chart .grid line { stroke-opacity: 0.4; }
svg.chart text { fill: var(--vscode-descriptionForeground, #666); font-size: 11px; }
svg.chart path.raw { fill: none; stroke: var(--vscode-charts-blue, #1a85ff); stroke-width: 1.2; stroke-opacity: 0.55; }
svg.chart path.smooth { fill: none; stroke: var(--vscode-charts-orange, #d18616); stroke-width: 2; }
svg.chart .nan { fill: var(--vscode-errorForeground, #e51400); }
svg.chart .eval line { stroke: var(--vscode-charts-green, #388a34); stroke-dasharray: 3 3; }
.empty { color: var(--vscode-descriptionForeground, #666); font-style: italic; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid var(--vscode-editorWidget-border, #ddd); font-variant-numeric: tabular-nums; }
td.num { text-align: right; }
td.path { word-break: break-all; }
.legend { display: flex; gap: 14px; font-size: 0.9em; color: var(--vscode-descriptionForeground, #666); }
.legend .raw::before, .legend .smooth::before { content: ''; display: inline-block; width: 14px; height: 3px; margin-right: 4px; vertical-align: middle; }
.legend .raw::before { background: var(--vscode-charts-blue, #1a85ff); opacity: 0.55; }
.legend .smooth::before { background: var(--vscode-charts-orange, #d18616); }
`;
