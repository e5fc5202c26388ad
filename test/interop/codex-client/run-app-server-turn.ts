import { makeCodexHome } from "../../helpers/codex-binary.js";
import { CodexAppServer, type AppServerMessage, type ServerRequestAnswerer } from "./app-server-client.js";
import { NOISE_ENVIRONMENT_NAME, noiseEnvironmentVariables, type ExecServerAccess } from "./codex-invocation.js";

/** How an app-server turn on an added environment ended. */
export interface AppServerTurnResult {
  /** The `turn/completed` notification's params. */
  completed: Record<string, unknown>;
  /** The `thread/start` result (shows the environments the thread got). */
  thread: Record<string, unknown>;
  /** The environment id the thread ran on ({@link APP_SERVER_ENVIRONMENT_ID} or {@link NOISE_ENVIRONMENT_NAME}). */
  environmentId: string;
  notifications: AppServerMessage[];
  serverRequests: AppServerMessage[];
  elapsedMs: number;
}

/** The environment id a turn on an exec-server URL runs on (the one `environment/add` names). */
export const APP_SERVER_ENVIRONMENT_ID = "interop-exec-server";

/** The app-server's `SandboxMode` (thread/start `sandbox`). */
export type AppServerSandboxMode = "read-only" | "workspace-write" | "danger-full-access";

/** The app-server's simple `AskForApproval` values (thread/start `approvalPolicy`). */
export type AppServerApprovalPolicy = "untrusted" | "on-request" | "never";

/**
 * Mode B: `codex app-server` over stdio. `initialize` with `capabilities.experimentalApi` (needed for
 * `environment/add`), `initialized`; for a URL `execServer`, `environment/add {environmentId, execServerUrl}`
 * (for a Noise one the app-server gets the `CODEX_EXEC_SERVER_NOISE_*` variables instead and names that
 * environment `remote`); an ephemeral `thread/start` in `workspace` whose only environment is that one (`sandbox`, default
 * `"danger-full-access"`; `approvalPolicy`, default `"never"`), `turn/start` with `prompt`, then waits for
 * `turn/completed` (at most `timeoutMs`, default 60 s). Approval requests go to `answer` (default: refused);
 * `extraArgs` are more `-c` overrides for the app-server (default none).
 * The app-server and its CODEX_HOME are always removed before this settles.
 */
export async function runAppServerTurn(options: {
  execServer: ExecServerAccess;
  modelBaseUrl: string;
  workspace: string;
  prompt: string;
  timeoutMs?: number;
  sandbox?: AppServerSandboxMode;
  approvalPolicy?: AppServerApprovalPolicy;
  answer?: ServerRequestAnswerer;
  extraArgs?: readonly string[];
}): Promise<AppServerTurnResult> {
  const home = makeCodexHome();
  const started = Date.now();
  const server = CodexAppServer.start({
    codexHome: home.dir,
    modelBaseUrl: options.modelBaseUrl,
    workspace: options.workspace,
    ...(options.answer === undefined ? {} : { answer: options.answer }),
    ...(options.extraArgs === undefined ? {} : { extraArgs: options.extraArgs }),
    ...(options.execServer.kind === "noise" ? { env: noiseEnvironmentVariables(options.execServer) } : {}),
  });
  const environmentId = options.execServer.kind === "url" ? APP_SERVER_ENVIRONMENT_ID : NOISE_ENVIRONMENT_NAME;
  try {
    await server.request("initialize", {
      clientInfo: { name: "exec-server-interop-test", version: "0.0.0" },
      capabilities: { experimentalApi: true },
    });
    server.notify("initialized");
    if (options.execServer.kind === "url") await server.request("environment/add", { environmentId, execServerUrl: options.execServer.url });
    const thread = await server.request("thread/start", {
      cwd: options.workspace,
      sandbox: options.sandbox ?? "danger-full-access",
      approvalPolicy: options.approvalPolicy ?? "never",
      ephemeral: true,
      environments: [{ environmentId, cwd: options.workspace }],
    });
    const threadId = String((thread["thread"] as Record<string, unknown> | undefined)?.["id"]);
    const turn = await server.request("turn/start", { threadId, input: [{ type: "text", text: options.prompt }] });
    const turnId = (turn["turn"] as Record<string, unknown> | undefined)?.["id"];
    const completed = await server.waitForNotification(
      "turn/completed",
      (params) => params["threadId"] === threadId && (params["turn"] as Record<string, unknown> | undefined)?.["id"] === turnId,
      options.timeoutMs ?? 60_000,
    );
    return {
      completed: completed.params ?? {},
      thread,
      environmentId,
      notifications: server.notifications,
      serverRequests: server.serverRequests,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await server.stop();
    home.dispose();
  }
}
