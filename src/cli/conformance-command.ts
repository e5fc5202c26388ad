import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Option } from "./commander-classes.js";
import { DIALECT_CHOICES, type DialectChoice } from "../conformance/dialect.js";

/** `exec-server conformance --url URL [--dialect auto|seed|codex-0.169] [--json FILE] [--only PATTERN]`. */
export function configureConformance(program: Command): void {
  program
    .command("conformance")
    .description(
      "Check any exec-server (ws:// URL or rendezvous role=harness URL) in one wire dialect: seed (this project's " +
        "contract and OpenRPC document) or codex-0.169 (the codex 0.169 exec-server, as the real binary answers). " +
        "Prints a table ending with `N passed, N failed`; exits 1 on any failure",
    )
    .requiredOption("--url <url>", "server to check")
    .addOption(
      new Option(
        "--dialect <dialect>",
        "dialect to judge; auto = codex-0.169 when the initialize result carries environmentInfo, else seed " +
          "(a server speaking both is judged in codex-0.169 by auto)",
      )
        .choices(DIALECT_CHOICES)
        .default("auto"),
    )
    .option("--json <file>", "also write a machine-readable report")
    .option("--only <pattern>", "only run checks whose id matches this regular expression")
    .option("--token-file <file>", "connection token file (sent as Authorization: Bearer)")
    .option(
      "--scratch-dir <dir>",
      "use and keep this scratch directory (default: a fresh one under the temp directory; codex-0.169: on the server's host, a file: URI or absolute path)",
    )
    .option("--same-host", "the server runs on this machine although its URL is not loopback (enables the codex-0.169 http/* checks)", false)
    .option("--verbose", "print progress on stderr", false)
    .action(async (opts: { url: string; dialect: DialectChoice; json?: string; only?: string; tokenFile?: string; scratchDir?: string; sameHost: boolean; verbose: boolean }) => {
      const { conformanceCommand } = await import("../conformance/conformance-command.js");
      process.exitCode = await conformanceCommand({
        url: opts.url,
        dialect: opts.dialect,
        sameHost: opts.sameHost,
        json: opts.json,
        only: opts.only,
        scratchDir: opts.scratchDir,
        bearerToken: opts.tokenFile ? readFileSync(opts.tokenFile, "utf8").trim() : undefined,
        ...(opts.verbose ? { log: (line: string) => process.stderr.write(`conformance: ${line}\n`) } : {}),
      });
    });
}
