/** Prints `exec-server: <message>` on stderr and exits with `code`. */
export function exitWith(code: number, message: string): never {
  process.stderr.write(`exec-server: ${message}\n`);
  process.exit(code);
}

/** SIGTERM/SIGINT: run `close` once, then exit 0; a second signal exits at once with 130. */
export function installShutdown(close: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`exec-server: ${signal} received, shutting down\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => exitWith(1, `shutdown failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** A stderr logger with the program prefix. */
export const stderrLog = (line: string): void => {
  process.stderr.write(`exec-server: ${line}\n`);
};
