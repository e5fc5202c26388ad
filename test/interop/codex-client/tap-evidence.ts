import { fileURLToPath } from "node:url";
import type { TapFrame } from "./websocket-tap.js";

/** A client request seen on the tap, with the server's answer when one came. */
export interface TappedCall {
  connection: number;
  method: string;
  params: Record<string, unknown>;
  /** The answer's `result`, or `undefined` when it failed or never came. */
  result: Record<string, unknown> | undefined;
  error: { code: number; message: string } | undefined;
}

/** What the wire shows about one process the client started. */
export interface ProcessEvidence {
  start: TappedCall;
  processId: string;
  /** stdout (or pty) text from `process/output` notifications and `process/read` results, in seq order. */
  stdout: string;
  /** stderr text, likewise. */
  stderr: string;
  /** From `process/exited` or a `process/read` that reported `exited`; `undefined` when no exit was seen. */
  exitCode: number | null | undefined;
  /** `sandboxDenied` of the same exit report; `undefined` when no exit was seen or the server left it out. */
  sandboxDenied: boolean | undefined;
  closed: boolean;
}

/** A path as it appears on the wire (a `file:` URI in the 0.169 dialect, a plain path in the seed one) as a native path. */
export function nativePath(wirePath: unknown): string | undefined {
  if (typeof wirePath !== "string") return undefined;
  return wirePath.startsWith("file:") ? fileURLToPath(wirePath) : wirePath;
}

/** Every client→server request on the tap, paired with its response (matched by connection and id). */
export function tappedCalls(frames: readonly TapFrame[]): TappedCall[] {
  const answers = new Map<string, Record<string, unknown>>();
  for (const frame of frames) {
    const message = frame.message;
    if (frame.direction !== "server->client" || message === undefined || message["method"] !== undefined || message["id"] === undefined) continue;
    answers.set(`${frame.connection}:${JSON.stringify(message["id"])}`, message);
  }
  const calls: TappedCall[] = [];
  for (const frame of frames) {
    const message = frame.message;
    if (frame.direction !== "client->server" || message === undefined || typeof message["method"] !== "string" || message["id"] === undefined) continue;
    const answer = answers.get(`${frame.connection}:${JSON.stringify(message["id"])}`);
    calls.push({
      connection: frame.connection,
      method: message["method"],
      params: (message["params"] ?? {}) as Record<string, unknown>,
      result: answer?.["result"] as Record<string, unknown> | undefined,
      error: answer?.["error"] as TappedCall["error"],
    });
  }
  return calls;
}

/** Server→client notifications named `method`, with their connection. */
function notifications(frames: readonly TapFrame[], method: string): { connection: number; params: Record<string, unknown> }[] {
  return frames
    .filter((frame) => frame.direction === "server->client" && frame.message?.["method"] === method && frame.message["id"] === undefined)
    .map((frame) => ({ connection: frame.connection, params: (frame.message?.["params"] ?? {}) as Record<string, unknown> }));
}

/**
 * The processes started with a successful `process/start` whose argv contains `argvNeedle`, each with the output
 * and exit the wire carried back for it (notifications and `process/read` answers, deduplicated by seq).
 */
export function processRuns(frames: readonly TapFrame[], argvNeedle: string): ProcessEvidence[] {
  return matchingProcessRuns(frames, (start) => {
    const argv = start.params["argv"];
    return Array.isArray(argv) && argv.some((arg) => typeof arg === "string" && arg.includes(argvNeedle));
  });
}

/** Like {@link processRuns}, for the processes whose `process/start.metadata.toolCallId` is `toolCallId` (codex sets it). */
export function toolCallProcessRuns(frames: readonly TapFrame[], toolCallId: string): ProcessEvidence[] {
  return matchingProcessRuns(frames, (start) => (start.params["metadata"] as Record<string, unknown> | undefined)?.["toolCallId"] === toolCallId);
}

/** Every `process/start` call for the tool call `toolCallId`, answered or not. */
export function toolCallProcessStarts(frames: readonly TapFrame[], toolCallId: string): TappedCall[] {
  return tappedCalls(frames).filter(
    (call) => call.method === "process/start" && (call.params["metadata"] as Record<string, unknown> | undefined)?.["toolCallId"] === toolCallId,
  );
}

function matchingProcessRuns(frames: readonly TapFrame[], matches: (start: TappedCall) => boolean): ProcessEvidence[] {
  const calls = tappedCalls(frames);
  const runs: ProcessEvidence[] = [];
  for (const start of calls) {
    if (start.method !== "process/start" || start.result === undefined || !matches(start)) continue;
    const processId = String(start.params["processId"]);
    const mine = (entry: { connection: number; params: Record<string, unknown> }): boolean =>
      entry.connection === start.connection && entry.params["processId"] === processId;
    const chunks = new Map<number, { stream: string; text: string }>();
    const keep = (chunk: Record<string, unknown>): void => {
      chunks.set(Number(chunk["seq"]), { stream: String(chunk["stream"]), text: Buffer.from(String(chunk["chunk"]), "base64").toString("utf8") });
    };
    let exitCode: number | null | undefined;
    let sandboxDenied: boolean | undefined;
    let closed = false;
    const exitReport = (report: Record<string, unknown>): void => {
      exitCode = report["exitCode"] as number | null;
      if (typeof report["sandboxDenied"] === "boolean") sandboxDenied = report["sandboxDenied"];
    };
    for (const note of notifications(frames, "process/output").filter(mine)) keep(note.params);
    for (const note of notifications(frames, "process/exited").filter(mine)) exitReport(note.params);
    if (notifications(frames, "process/closed").some(mine)) closed = true;
    for (const read of calls.filter((call) => call.method === "process/read" && call.result !== undefined && mine(call))) {
      for (const chunk of (read.result?.["chunks"] ?? []) as Record<string, unknown>[]) keep(chunk);
      if (read.result?.["exited"] === true) exitReport(read.result);
      if (read.result?.["closed"] === true) closed = true;
    }
    const ordered = [...chunks.entries()].sort(([a], [b]) => a - b).map(([, chunk]) => chunk);
    const text = (streams: string[]): string => ordered.filter((chunk) => streams.includes(chunk.stream)).map((chunk) => chunk.text).join("");
    runs.push({ start, processId, stdout: text(["stdout", "pty"]), stderr: text(["stderr"]), exitCode, sandboxDenied, closed });
  }
  return runs;
}

/** Successful `fs/readFile` calls for `path` (native), with the bytes the server returned. */
export function fileReads(frames: readonly TapFrame[], path: string): { call: TappedCall; data: Buffer }[] {
  return tappedCalls(frames)
    .filter((call) => call.method === "fs/readFile" && call.result !== undefined && nativePath(call.params["path"]) === path)
    .map((call) => ({ call, data: Buffer.from(String(call.result?.["dataBase64"]), "base64") }));
}

/** Successful `fs/writeFile` calls for `path` (native), with the bytes the client sent. */
export function fileWrites(frames: readonly TapFrame[], path: string): { call: TappedCall; data: Buffer }[] {
  return tappedCalls(frames)
    .filter((call) => call.method === "fs/writeFile" && call.result !== undefined && nativePath(call.params["path"]) === path)
    .map((call) => ({ call, data: Buffer.from(String(call.params["dataBase64"]), "base64") }));
}

/** Every `fs/*` call (answered or not) that names `path` (native) as its `path`, `sourcePath` or `destinationPath`. */
export function fsCallsFor(frames: readonly TapFrame[], path: string): TappedCall[] {
  return tappedCalls(frames).filter(
    (call) => call.method.startsWith("fs/") && ["path", "sourcePath", "destinationPath"].some((member) => nativePath(call.params[member]) === path),
  );
}
