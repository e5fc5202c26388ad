import { constants as fsConstants } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";

/** execvp's search path when the child environment has no PATH (glibc's default). */
const DEFAULT_SEARCH_PATH = "/bin:/usr/bin";

/**
 * Resolves `program` the way execvp would for a child with environment `env`: a name containing a
 * slash is taken relative to `cwd`; otherwise each PATH entry is tried. Rejects with the OS error
 * (ENOENT, EACCES) so PTY spawn failures surface like pipe spawn failures do, instead of as a
 * message written into the terminal by the forked child.
 */
export async function resolveProgram(program: string, env: Readonly<Record<string, string>>, cwd: string): Promise<string> {
  if (program.includes("/")) {
    const candidate = path.resolve(cwd, program);
    await checkExecutable(candidate, program);
    return candidate;
  }
  let lastError: unknown;
  for (const dir of (env["PATH"] ?? DEFAULT_SEARCH_PATH).split(":")) {
    const candidate = path.resolve(cwd, dir === "" ? "." : dir, program);
    try {
      await checkExecutable(candidate, program);
      return candidate;
    } catch (error) {
      // Keep looking; EACCES is remembered so it beats ENOENT as the reported reason, like execvp.
      if (lastError === undefined || (error as NodeJS.ErrnoException).code === "EACCES") lastError = error;
    }
  }
  throw lastError ?? spawnError(program, "ENOENT");
}

async function checkExecutable(candidate: string, program: string): Promise<void> {
  const info = await stat(candidate).catch((error: NodeJS.ErrnoException) => {
    throw spawnError(program, error.code ?? "ENOENT");
  });
  if (info.isDirectory()) throw spawnError(program, "EACCES");
  await access(candidate, fsConstants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw spawnError(program, error.code ?? "EACCES");
  });
}

const DESCRIPTIONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  ENOTDIR: "not a directory",
};

/** An error worded like child_process's (`spawn prog ENOENT`) plus the OS description. */
function spawnError(program: string, code: string): Error {
  const description = DESCRIPTIONS[code];
  const message = `spawn ${program} ${code}${description === undefined ? "" : ` (${description})`}`;
  return Object.assign(new Error(message), { code });
}

/** Rejects with the OS error unless `cwd` is an existing directory. */
export async function checkDirectory(cwd: string): Promise<void> {
  const info = await stat(cwd).catch((error: NodeJS.ErrnoException) => {
    throw Object.assign(new Error(`cwd ${cwd}: ${error.message}`), { code: error.code });
  });
  if (!info.isDirectory()) {
    throw Object.assign(new Error(`cwd ${cwd}: ENOTDIR: not a directory`), { code: "ENOTDIR" });
  }
}
