/**
 * Sidecar entry point (dist/sidecar.js): JSON-RPC over stdin/stdout. Nothing but the message writer may use
 * stdout, so console output goes to stderr. Exits when stdin closes, on Shutdown, or when the parent dies.
 */
import '../shared/nativeEnvInit'; // first: native libraries read it when they load
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { serve } from './server';

function routeConsoleToStderr(): void {
  /* eslint-disable no-console -- replacing them is the point: stdout belongs to JSON-RPC */
  const toErr = (...args: unknown[]): void => void process.stderr.write(args.map(String).join(' ') + '\n');
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
  console.trace = toErr;
  /* eslint-enable no-console */
}

function main(): void {
  routeConsoleToStderr();
  const conn = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    conn.dispose();
    // Let the last response flush.
    setImmediate(() => process.exit(code));
  };
  serve(conn, () => exit(0));
  conn.onClose(() => exit(0));
  process.stdin.on('end', () => exit(0));
  process.stdin.on('close', () => exit(0));
  // The parent died without closing our stdin: our parent pid changes (re-parented to init or a subreaper).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit(0);
  }, 2000).unref();
  // An exception nobody caught leaves the engine in an unknown state: exit, and the host restarts the sidecar.
  process.on('uncaughtException', (e) => {
    process.stderr.write(`[drehr sidecar] uncaught exception, exiting: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => process.stderr.write(`[drehr sidecar] unhandled rejection: ${String(e)}\n`));
  conn.listen();
}

main();
