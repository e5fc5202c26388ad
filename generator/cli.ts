/**
 * `npm run generate`: deletes `generated/`, runs `buf generate` (when `buf.gen.yaml` exists), then
 * writes the OpenRPC outputs. `--check` (`npm run check:generated`) generates into a fresh temp
 * directory and compares it byte-for-byte with `./generated` without touching the work tree.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SpecError, generateOpenRpc, type OutputFile } from "./generate.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SPEC_PATH = "openrpc/exec-server.openrpc.json";
const GENERATED_DIR = "generated";

function runBuf(outputBase: string | undefined): void {
  if (!existsSync(join(ROOT, "buf.gen.yaml"))) return;
  const buf = join(ROOT, "node_modules", ".bin", "buf");
  const args = outputBase === undefined ? ["generate"] : ["generate", "--output", outputBase];
  // buf finds the `local: protoc-gen-es` plugin on PATH; make the local bin directory visible even
  // when the CLI is run without npm.
  const env = { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env["PATH"] ?? ""}` };
  const result = spawnSync(buf, args, { cwd: ROOT, stdio: "inherit", env });
  if (result.error !== undefined) throw new Error(`cannot run buf: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`buf generate failed with exit code ${String(result.status)}`);
}

async function writeFiles(base: string, files: readonly OutputFile[]): Promise<void> {
  for (const file of files) {
    const target = join(base, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

async function openRpcFiles(): Promise<OutputFile[]> {
  const text = await readFile(join(ROOT, SPEC_PATH), "utf8");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SpecError(`${SPEC_PATH} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return generateOpenRpc({ document, specPath: SPEC_PATH });
}

async function generate(): Promise<void> {
  await rm(join(ROOT, GENERATED_DIR), { recursive: true, force: true });
  runBuf(undefined);
  const files = await openRpcFiles();
  await writeFiles(ROOT, files);
  console.log(`generated ${files.length} OpenRPC files into ${GENERATED_DIR}/openrpc`);
}

async function check(): Promise<number> {
  const temp = await mkdtemp(join(tmpdir(), "exec-server-generate-"));
  try {
    runBuf(temp);
    await writeFiles(temp, await openRpcFiles());
    const expectedDir = join(temp, GENERATED_DIR);
    const actualDir = join(ROOT, GENERATED_DIR);
    const expected = await listFiles(expectedDir);
    const actual = new Set(await listFiles(actualDir));
    const problems: string[] = [];
    for (const file of expected) {
      if (!actual.has(file)) {
        problems.push(`missing: ${GENERATED_DIR}/${file}`);
        continue;
      }
      actual.delete(file);
      const [want, have] = await Promise.all([readFile(join(expectedDir, file)), readFile(join(actualDir, file))]);
      if (!want.equals(have)) problems.push(`differs: ${GENERATED_DIR}/${file}`);
    }
    for (const file of actual) problems.push(`extra: ${GENERATED_DIR}/${file}`);
    if (problems.length > 0) {
      for (const problem of problems) console.error(problem);
      console.error(`generated code is out of date (${problems.length} file(s)); run \`npm run generate\` and commit the result`);
      return 1;
    }
    console.log(`generated code is up to date (${expected.length} files)`);
    return 0;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`usage: tsx generator/cli.ts [--check]; unknown argument ${unknown[0]}`);
    return 2;
  }
  if (argv.includes("--check")) return check();
  await generate();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof SpecError ? `error: ${error.message}` : error);
    process.exitCode = 1;
  },
);
