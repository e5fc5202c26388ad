import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

/** The built CLI (`npm test` builds it first). */
export const BUILT_CLI = join(import.meta.dirname, "..", "..", "dist", "src", "cli.js");

/** Our `exec-server forward`, started with its registration token on stdin. */
export interface ForwardCli {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Its exit code once it has closed. */
  readonly closed: Promise<number | null>;
}

/** Starts `exec-server forward` registering `environmentId` at `remote` and forwarding to `connect`. */
export function spawnForwardCli(options: { remote: string; environmentId: string; connect: string; registryToken: string }): ForwardCli {
  const child = spawn(
    process.execPath,
    [BUILT_CLI, "forward", "--remote", options.remote, "--environment-id", options.environmentId, "--connect", options.connect, "--registration-bearer-stdin"],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  child.stdin!.end(`${options.registryToken}\n`);
  return { child, stderr: () => stderr, closed };
}
