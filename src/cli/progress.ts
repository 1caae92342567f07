/** Index progress on stderr: a redrawn bar on a terminal, plain lines (one per phase and every 10%) otherwise. */
import type { ProgressUpdate } from '../sidecar/engine';

export function progressBarText(p: ProgressUpdate, width = 30): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const count = p.total > 0 ? ` ${p.done}/${p.total}` : '';
  return `${p.phase.padEnd(5)} [${bar}]${count}`;
}

export function makeProgressReporter(stream: NodeJS.WriteStream = process.stderr): { update: (p: ProgressUpdate) => void; end: () => void } {
  if (stream.isTTY) {
    let last = 0;
    return {
      update: (p) => {
        const now = Date.now();
        if (now - last < 80 && p.done !== p.total) return;
        last = now;
        const msg = p.message ? ` ${p.message}` : '';
        const line = (progressBarText(p) + msg).slice(0, Math.max(20, (stream.columns ?? 100) - 1));
        stream.write(`\r\x1b[K${line}`);
      },
      end: () => stream.write('\r\x1b[K'),
    };
  }
  let phase = '';
  let decile = -1;
  return {
    update: (p) => {
      const d = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 0;
      if (p.phase !== phase || d !== decile) {
        phase = p.phase;
        decile = d;
        stream.write(`${p.phase}: ${p.done}/${p.total}\n`);
      }
    },
    end: () => undefined,
  };
}
