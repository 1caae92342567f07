/** The engine's logger: one function per level. Messages never contain note or query text. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

/** A logger that writes to stderr (the CLI, tests); stdout stays free for JSON-RPC and CLI output. */
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`[drehr] ${m}\n`),
  warn: (m) => process.stderr.write(`[drehr] warning: ${m}\n`),
  error: (m) => process.stderr.write(`[drehr] error: ${m}\n`),
  debug: (m) => {
    if (process.env.DREHR_DEBUG) process.stderr.write(`[drehr] debug: ${m}\n`);
  },
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
