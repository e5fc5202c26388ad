import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** Debian's Python, which sees the apt packages (python3-websockets, python3-protobuf). */
export const PYTHON = "/usr/bin/python3";

const ROOT = join(import.meta.dirname, "..", "..");

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** `false` when the Python peers can run, else the reason to skip (what .ci/run installs). */
export function pythonPeersSkip(modules: string, needsProtoc: boolean): false | string {
  if (works(PYTHON, ["-c", `import ${modules}`]) && (!needsProtoc || works("protoc", ["--version"]))) return false;
  return `${modules}${needsProtoc ? " or protoc" : ""} is not available to ${PYTHON} (.ci/run installs python3-websockets, python3-protobuf, protobuf-compiler)`;
}

/** Compiles the relay proto with Google's protoc into `dir` (Python modules) and returns `dir`. */
export function compileRelayProtoForPython(dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync("protoc", [`--proto_path=${join(ROOT, "proto")}`, `--python_out=${dir}`, "codex/exec_server/relay/v1/relay.proto"]);
  return dir;
}
