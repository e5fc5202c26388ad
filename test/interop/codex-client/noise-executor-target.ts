import type { NoiseRelayStream } from "../../../src/relay/noise/noise-relay-stream.js";
import { staticToken } from "../../../src/remote/bearer-token-source.js";
import { NoiseRemoteExecutor } from "../../../src/remote/noise-remote-executor.js";
import { startRendezvous } from "../../../src/remote/rendezvous/rendezvous-server.js";
import { ExecServer } from "../../../src/server/exec-server.js";
import { waitUntil } from "../../helpers/wait.js";
import type { ExecServerTarget } from "./exec-server-targets.js";
import { tapTransport } from "./transport-tap.js";
import type { TapFrame } from "./websocket-tap.js";

/** A relay frame the rendezvous routed for the environment, as raw bytes (what a network observer sees). */
export interface RelayedFrame {
  from: "executor" | "harness";
  bytes: Uint8Array;
}

/** What one run of {@link ourNoiseExecutor} saw besides the decrypted JSON-RPC (reset at each `start`). */
export interface NoiseExecutorEvidence {
  /** Every binary frame the rendezvous routed between our executor and the harness, in order. */
  relayed: RelayedFrame[];
  /** The rendezvous's log (registrations, `/connect`, `/validate` verdicts; never payloads). */
  rendezvousLog: string[];
  /** Our executor's log (registration, streams opened and closed). */
  executorLog: string[];
  /** Each stream our executor served: its peer kind (`legacy` = codex 0.169's stream rules, `reliable` = ours). */
  streams: { streamId: string; peer: NoiseRelayStream["peer"] }[];
}

/** The registry token our executor registers and validates with (`--registration-bearer-stdin` in the CLI). */
export const NOISE_REGISTRY_TOKEN = "executor-registry-token";
/** The harness token the rendezvous accepts on `/connect` (`CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN`). */
export const NOISE_HARNESS_TOKEN = "harness-registry-token";
/** The environment id our executor registers (`--environment-id`). */
export const NOISE_ENVIRONMENT_ID = "env-ours";

/**
 * Our executor in codex 0.169's remote mode, as a target for the real codex client: a fresh reference
 * rendezvous (separate registry and harness tokens; a tap on every routed frame), our `ExecServer` behind a
 * {@link NoiseRemoteExecutor} that registered the 0.169 way (`POST /cloud/environment/{id}/register` with its
 * X25519 + ML-KEM-768 key), and codex pointed at it by the `CODEX_EXEC_SERVER_NOISE_*` variables. The JSON-RPC
 * evidence is recorded inside our executor, after decryption: each validated stream is wrapped by
 * {@link tapTransport} before the server gets it (a test hook; the executor logs no payloads).
 * `start` waits (at most 15 s) until the executor's websocket is up; `stop` ends executor, server and rendezvous.
 */
export function ourNoiseExecutor(): { target: ExecServerTarget; evidence: NoiseExecutorEvidence } {
  const evidence: NoiseExecutorEvidence = { relayed: [], rendezvousLog: [], executorLog: [], streams: [] };
  const target: ExecServerTarget = {
    name: "our executor over Noise (codex 0.169 remote mode)",
    start: async () => {
      evidence.relayed.length = 0;
      evidence.rendezvousLog.length = 0;
      evidence.executorLog.length = 0;
      evidence.streams.length = 0;
      const frames: TapFrame[] = [];
      const startedAt = Date.now();
      const rendezvous = await startRendezvous({
        registryTokens: [NOISE_REGISTRY_TOKEN],
        harnessTokens: [NOISE_HARNESS_TOKEN],
        tap: (from, _environmentId, bytes) => evidence.relayed.push({ from, bytes: bytes.slice() }),
        log: (line) => evidence.rendezvousLog.push(line),
      });
      const server = new ExecServer();
      let streams = 0;
      const executor = new NoiseRemoteExecutor({
        baseUrl: rendezvous.baseUrl,
        environmentId: NOISE_ENVIRONMENT_ID,
        token: staticToken(NOISE_REGISTRY_TOKEN),
        server: { serve: (stream) => server.serve(tapTransport(stream, ++streams, frames, startedAt)) },
        log: (line) => evidence.executorLog.push(line),
      });
      let failure: unknown;
      const running = executor.run().catch((error: unknown) => {
        failure = error; // a refused registration: reported by start
      });
      const stop = async (): Promise<void> => {
        executor.stop();
        await running;
        await server.shutdown();
        await rendezvous.close();
      };
      try {
        await waitUntil(() => executor.state === "connected" || executor.state === "failed", 15_000, "our executor to connect to the rendezvous");
        if (executor.state === "failed") throw new Error(`our executor failed to register: ${String(failure)}`);
        executor.mux!.onStream((stream) => evidence.streams.push({ streamId: stream.streamId, peer: stream.peer }));
      } catch (error) {
        await stop();
        throw error;
      }
      return { noise: { registryUrl: rendezvous.baseUrl, environmentId: NOISE_ENVIRONMENT_ID, authToken: NOISE_HARNESS_TOKEN }, frames, stop };
    },
  };
  return { target, evidence };
}
