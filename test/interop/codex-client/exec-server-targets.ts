import { startExecServer } from "../../../src/server/start-exec-server.js";
import { startCodexExecServer } from "../../helpers/codex-binary.js";

/** A running exec-server the codex client is pointed at. */
export interface RunningTarget {
  /** Its websocket URL (`ws://127.0.0.1:PORT`). */
  url: string;
  stop(): Promise<void>;
}

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
