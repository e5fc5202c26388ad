import { startExecServer } from "../../../src/server/start-exec-server.js";
import { startCodexExecServer } from "../../helpers/codex-binary.js";
import type { TapFrame } from "./websocket-tap.js";

/**
 * A Noise environment codex 0.169 reaches through a registry: what goes into `CODEX_EXEC_SERVER_NOISE_REGISTRY_URL`,
 * `CODEX_EXEC_SERVER_NOISE_ENVIRONMENT_ID` and `CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN`.
 */
export interface NoiseEnvironmentAccess {
  /** Registry base URL (`http://127.0.0.1:PORT`). */
  registryUrl: string;
  environmentId: string;
  /** The harness bearer the registry accepts on `/connect`. */
  authToken: string;
}

/** A running exec-server codex reaches by a plain websocket URL; the scripted-turn runner puts a websocket tap in front. */
export interface PlainRunningTarget {
  /** Its websocket URL (`ws://127.0.0.1:PORT`). */
  url: string;
  stop(): Promise<void>;
}

/**
 * A running executor codex reaches through a Noise registry. The websocket between codex and the rendezvous
 * carries ciphertext only, so the target records the decrypted JSON-RPC itself (`frames`, same shape as the
 * websocket tap's: `client->server` is what codex sent).
 */
export interface NoiseRunningTarget {
  noise: NoiseEnvironmentAccess;
  /** Every decrypted JSON-RPC message of every stream, in order; `connection` numbers the streams from 1. */
  readonly frames: readonly TapFrame[];
  stop(): Promise<void>;
}

/** A running exec-server the codex client is pointed at. */
export type RunningTarget = PlainRunningTarget | NoiseRunningTarget;

/** An exec-server implementation under test: a name for the report and a factory for a fresh instance. */
export interface ExecServerTarget {
  name: string;
  start(): Promise<RunningTarget>;
}

/** The Rust original: `codex exec-server --listen ws://127.0.0.1:0` from the pinned binary (the oracle). */
export const realCodexExecServer: ExecServerTarget = {
  name: "the real codex 0.169 exec-server",
  start: async () => {
    const server = await startCodexExecServer();
    return { url: server.url, stop: () => server.stop() };
  },
};

/** This project's server, in process on a loopback port. */
export const ourExecServer: ExecServerTarget = {
  name: "our exec-server",
  start: async () => {
    const server = await startExecServer();
    return { url: server.url, stop: () => server.close() };
  },
};
