/**
 * A harness {@link NoiseMux} and an executor {@link NoiseMux} joined by a {@link SimLink}, with one
 * manual clock (see `mux-pair-world.ts`); the executor's registry is a callback. The Noise twin of
 * `relay-world.ts`.
 */
import { generateHybridKeyPair, type HybridKeyPair } from "../../../src/relay/noise/hybrid-keypair.js";
import { NoiseMux, type NoiseMuxOptions } from "../../../src/relay/noise/noise-mux.js";
import type { AuthorizationRequest, AuthorizationVerdict, NoiseRelayStream } from "../../../src/relay/noise/noise-relay-stream.js";
import type { RelayEndpointOptions } from "../../../src/relay/relay-options.js";
import { MuxPairWorld, type StreamRecord } from "../mux-pair-world.js";

export type NoiseStreamRecord = StreamRecord<NoiseRelayStream>;

export interface NoiseWorldOptions {
  endpoint?: Partial<RelayEndpointOptions>;
  /** Per side: false speaks exactly codex 0.169 (no acks, reorder window). */
  harnessReliable?: boolean;
  executorReliable?: boolean;
  authorize?: (request: AuthorizationRequest) => Promise<AuthorizationVerdict>;
  /** Executor limits. */
  limits?: NoiseMuxOptions["limits"];
}

/** Shared identities: generating ML-KEM keys per world would dominate the property tests' time. */
const harnessIdentity: HybridKeyPair = generateHybridKeyPair();
const executorIdentity: HybridKeyPair = generateHybridKeyPair();
export const AUTHORIZATION = "authorization-1";
export const REGISTRATION = { environmentId: "env-1", registrationId: "reg-1" } as const;

export class NoiseWorld extends MuxPairWorld<NoiseRelayStream, NoiseMux> {
  /** Every handshake the executor's registry was asked about. */
  readonly validations: AuthorizationRequest[];

  constructor(options: NoiseWorldOptions = {}) {
    const validations: AuthorizationRequest[] = [];
    super((clock, log) => {
      const common = { clock, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
      const harness = new NoiseMux({ role: "harness", identity: harnessIdentity, offerReliability: options.harnessReliable ?? true, ...common, log: log("H") });
      const executor = new NoiseMux({
        role: "executor",
        identity: executorIdentity,
        offerReliability: options.executorReliable ?? true,
        registration: REGISTRATION,
        ...(options.limits ? { limits: options.limits } : {}),
        authorize: async (request) => {
          validations.push(request);
          return options.authorize ? options.authorize(request) : request.authorization === AUTHORIZATION ? "valid" : "invalid";
        },
        ...common,
        log: log("E"),
      });
      return { harness, executor };
    });
    this.validations = validations;
  }

  open(streamId: string, authorization = AUTHORIZATION): NoiseStreamRecord {
    return this.track(this.harness.openStream({ remoteStatic: executorIdentity.publicKey, ...REGISTRATION, authorization, streamId }));
  }

  /** Delivers frames and lets validations resolve until the link is quiet. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      this.link.flush();
      await new Promise((resolve) => setImmediate(resolve));
      if (this.link.queues.toExecutor.length === 0 && this.link.queues.toHarness.length === 0) return;
    }
  }
}

export { executorIdentity, harnessIdentity };
