import { readFile } from "node:fs/promises";

/** Upstream's environment variable for the executor registry token (CONTRACT §6). */
export const UPSTREAM_TOKEN_ENV = "CODEX_EXEC_SERVER_REMOTE_BEARER_TOKEN";
/** This project's own environment variable for the same token. */
export const PROJECT_TOKEN_ENV = "EXEC_SERVER_REMOTE_BEARER_TOKEN";

/**
 * Where the registry bearer token comes from. `refresh()` is called after a 401/403 and may return a
 * new credential (a re-read token file); it is called at most once per registration attempt.
 */
export interface BearerTokenSource {
  current(): Promise<string>;
  refresh(): Promise<string>;
}

/** A fixed token (programmatic use: `RemoteExecutorConfig.withBearerToken`). */
export function staticToken(token: string): BearerTokenSource {
  if (token.trim() === "") throw new Error("bearer token must not be empty");
  return { current: async () => token, refresh: async () => token };
}

/** A token file, re-read on refresh (so rotating the file fixes a 401 without a restart). */
export function fileToken(path: string): BearerTokenSource {
  const read = async () => {
    const token = (await readFile(path, "utf8")).trim();
    if (token === "") throw new Error(`bearer token file ${path} is empty`);
    return token;
  };
  return { current: read, refresh: read };
}

/** The token from the environment: upstream's variable first, then the project's; re-read on refresh. */
export function environmentToken(env: NodeJS.ProcessEnv = process.env): BearerTokenSource | undefined {
  const read = () => env[UPSTREAM_TOKEN_ENV]?.trim() || env[PROJECT_TOKEN_ENV]?.trim() || "";
  if (read() === "") return undefined;
  const get = async () => {
    const token = read();
    if (token === "") throw new Error(`${UPSTREAM_TOKEN_ENV} is empty`);
    return token;
  };
  return { current: get, refresh: get };
}
