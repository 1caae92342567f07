/** The report's style sheet, adopted as a constructable style sheet (allowed by the CSP, unlike <style>). */
export const css = `
body { font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); color: var(--vscode-foreground, #333); padding: 0 16px 16px; }
h1 { font-size: 1.3em; margin: 12px 0 4px; }
h2 { font-size: 1.1em; margin: 20px 0 6px; }
h3 { font-size: 1em; margin: 14px 0 4px; }
.meta { color: var(--vscode-descriptionForeground, #666); margin: 2px 0; }
.actions { display: flex; gap: 8px; margin: 10px 0; flex-wrap: wrap; align-items: center; }
button { font: inherit; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c); border: none; padding: 4px 12px; cursor: pointer; border-radius: 2px; }
button.secondary { color: var(--vscode-button-secondaryForeground, #fff); background: var(--vscode-button-secondaryBackground, #5f6a79); }
select { font: inherit; color: var(--vscode-dropdown-foreground, inherit); background: var(--vscode-dropdown-background, transparent); border: 1px solid var(--vscode-dropdown-border, #ccc); }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { padding: 2px 10px; border-bottom: 1px solid var(--vscode-editorWidget-border, #ddd); text-align: right; font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; }
td.best { font-weight: 700; }
td.na { color: var(--vscode-descriptionForeground, #888); }
tr.group td { border-top: 2px solid var(--vscode-editorWidget-border, #bbb); }
.legend { display: flex; gap: 14px; margin: 4px 0; flex-wrap: wrap; }
.legend span::before { content: ''; display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; background: currentColor; }
.r0 { color: var(--vscode-charts-blue, #1a85ff); fill: var(--vscode-charts-blue, #1a85ff); }
.r1 { color: var(--vscode-charts-orange, #d18616); fill: var(--vscode-charts-orange, #d18616); }
.r2 { color: var(--vscode-charts-green, #388a34); fill: var(--vscode-charts-green, #388a34); }
.r3 { color: var(--vscode-charts-purple, #652d90); fill: var(--vscode-charts-purple, #652d90); }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; }
svg.chart line { stroke: var(--vscode-editorWidget-border, #ccc); stroke-width: 1; }
svg.chart text { fill: var(--vscode-descriptionForeground, #666); font-size: 11px; }
.issues li { margin: 2px 0; }
.empty { color: var(--vscode-descriptionForeground, #666); font-style: italic; }
.progress { color: var(--vscode-descriptionForeground, #666); }
`;
