import { readFileSync } from "node:fs";
import type { Command } from "commander";

/** `exec-server conformance --url URL [--json FILE] [--only PATTERN]`. */
export function configureConformance(program: Command): void {
  program
    .command("conformance")
    .description(
      "Check any exec-server (ws:// URL or rendezvous role=harness URL) against the OpenRPC document and the contract;\n" +
        "prints a table ending with `N passed, N failed`, exits 1 on any failure",
    )
    .requiredOption("--url <url>", "server to check")
    .option("--json <file>", "also write a machine-readable report")
    .option("--only <pattern>", "only run checks whose id matches this regular expression")
    .option("--token-file <file>", "connection token file (sent as Authorization: Bearer)")
    .option("--scratch-dir <dir>", "use and keep this scratch directory (default: a fresh one under the temp directory)")
    .option("--verbose", "print progress on stderr", false)
    .action(async (opts: { url: string; json?: string; only?: string; tokenFile?: string; scratchDir?: string; verbose: boolean }) => {
      const { conformanceCommand } = await import("../conformance/conformance-command.js");
      process.exitCode = await conformanceCommand({
        url: opts.url,
        json: opts.json,
        only: opts.only,
        scratchDir: opts.scratchDir,
        bearerToken: opts.tokenFile ? readFileSync(opts.tokenFile, "utf8").trim() : undefined,
        ...(opts.verbose ? { log: (line: string) => process.stderr.write(`conformance: ${line}\n`) } : {}),
      });
    });
}
