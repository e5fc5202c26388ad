/**
 * The conformance report: one row per check, the protocol variants the server was seen to use, and
 * the two renderings (a plain-text table for terminals, JSON for CI).
 */

/** Outcome of one check. */
export type CheckStatus = "pass" | "fail" | "skip";

/** One row of the report. */
export interface CheckResult {
  /** Stable id, e.g. `lifecycle/second-initialize`; `--only` matches against it. */
  readonly id: string;
  /** One-line description of what the check asserts. */
  readonly title: string;
  readonly status: CheckStatus;
  /** Why the check failed or was skipped; absent when it passed. */
  readonly reason?: string;
  /**
   * Tolerated differences the check saw (a variant the dialect allows, e.g. other error wording),
   * one line each; absent when there were none. Never a reason to fail.
   */
  readonly notes?: readonly string[];
  /** Wall time the check took, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Variants the contract allows and which one the server used, e.g.
 * `{envelope: "2.0", initialize: "sessionId"}`. A key seen with several values joins them with `+`
 * (`envelope: "2.0+lite"`).
 */
export type Variants = Readonly<Record<string, string>>;

/** Everything one run produced. */
export interface Report {
  /** The dialect the checks spoke (`seed` or `codex-0.169`) and, after `auto`, why it was chosen. */
  readonly dialect?: { readonly name: string; readonly reason: string };
  readonly checks: readonly CheckResult[];
  readonly variants: Variants;
  /** The scratch directory the suite used for fixtures and example paths. */
  readonly scratchDir: string;
  /** Whether the scratch directory was left in place (`keepScratch` or a caller-chosen directory). */
  readonly scratchKept: boolean;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Wall time of the whole run, in milliseconds. */
  readonly durationMs: number;
}

/** Builds a {@link Report} from its rows, counting statuses. */
export function buildReport(fields: Omit<Report, "passed" | "failed" | "skipped">): Report {
  const count = (status: CheckStatus) => fields.checks.filter((check) => check.status === status).length;
  return { ...fields, passed: count("pass"), failed: count("fail"), skipped: count("skip") };
}

/** `N passed, N failed` plus `, N skipped` when any check was skipped. */
export function summaryLine(report: Pick<Report, "passed" | "failed" | "skipped">): string {
  const base = `${report.passed} passed, ${report.failed} failed`;
  return report.skipped > 0 ? `${base}, ${report.skipped} skipped` : base;
}

const STATUS_LABEL: Readonly<Record<CheckStatus, string>> = { pass: "PASS", fail: "FAIL", skip: "SKIP" };

/** Reasons can carry server text with newlines; a table row must stay one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Renders the report as a plain-text table (status, check id, milliseconds, reason or tolerated
 * notes), then the dialect, the variants and the scratch directory, ending with the {@link summaryLine}.
 */
export function formatReport(report: Report): string {
  const idWidth = Math.max("check".length, ...report.checks.map((check) => check.id.length));
  const msWidth = Math.max("ms".length, ...report.checks.map((check) => String(Math.round(check.durationMs)).length));
  const row = (status: string, id: string, ms: string, reason: string) =>
    `${status.padEnd(8)}${id.padEnd(idWidth + 2)}${ms.padStart(msWidth)}  ${reason}`.trimEnd();
  const lines = [row("status", "check", "ms", "reason")];
  for (const check of report.checks) {
    const notes = check.notes === undefined || check.notes.length === 0 ? "" : `tolerated: ${check.notes.join("; ")}`;
    const reason = [check.reason ?? "", notes].filter((part) => part !== "").join("; ");
    lines.push(row(STATUS_LABEL[check.status], check.id, String(Math.round(check.durationMs)), oneLine(reason)));
  }
  lines.push("");
  if (report.dialect !== undefined) lines.push(`dialect: ${report.dialect.name} (${report.dialect.reason})`);
  const variants = Object.entries(report.variants);
  lines.push(`variants: ${variants.length === 0 ? "(none observed)" : variants.map(([key, value]) => `${key}=${value}`).join(", ")}`);
  lines.push(`scratch: ${report.scratchDir}${report.scratchKept ? " (kept)" : " (removed)"}`);
  lines.push(summaryLine(report));
  return lines.join("\n");
}

/** The machine-readable form written by `--json`: stable keys, two-space indentation, trailing newline. */
export function reportToJson(report: Report): string {
  const body = {
    ...(report.dialect === undefined ? {} : { dialect: report.dialect }),
    summary: { passed: report.passed, failed: report.failed, skipped: report.skipped, durationMs: Math.round(report.durationMs) },
    variants: report.variants,
    scratchDir: report.scratchDir,
    scratchKept: report.scratchKept,
    checks: report.checks.map((check) => ({
      id: check.id,
      title: check.title,
      status: check.status,
      ...(check.reason === undefined ? {} : { reason: check.reason }),
      ...(check.notes === undefined ? {} : { notes: check.notes }),
      durationMs: Math.round(check.durationMs),
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
