/**
 * A harness {@link NoiseMux} and an executor {@link NoiseMux} joined by a {@link SimLink}, with one
 * manual clock; the executor's registry is a callback. The Noise twin of `relay-world.ts`.
 */
import { generateHybridKeyPair, type HybridKeyPair } from "../../../src/relay/noise/hybrid-keypair.js";
import { NoiseMux, type NoiseMuxOptions } from "../../../src/relay/noise/noise-mux.js";
import type { AuthorizationRequest, AuthorizationVerdict, NoiseRelayStream } from "../../../src/relay/noise/noise-relay-stream.js";
import type { RelayEndpointOptions } from "../../../src/relay/relay-options.js";
import { ManualClock } from "../../../src/util/clock.js";
import { SimLink } from "../sim-link.js";

export interface NoiseStreamRecord {
  harness: NoiseRelayStream;
  executor: NoiseRelayStream | undefined;
  sentUp: string[];
  gotUp: string[];
  sentDown: string[];
  gotDown: string[];
  closed: string[];
}

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

export class NoiseWorld {
  readonly clock = new ManualClock(1_000);
  readonly link = new SimLink();
  readonly logs: string[] = [];
  readonly harness: NoiseMux;
  readonly executor: NoiseMux;
  readonly streams = new Map<string, NoiseStreamRecord>();
  readonly validations: AuthorizationRequest[] = [];

  constructor(options: NoiseWorldOptions = {}) {
    const common = { clock: this.clock, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
    this.harness = new NoiseMux({ role: "harness", identity: harnessIdentity, offerReliability: options.harnessReliable ?? true, ...common, log: (m) => this.logs.push(`H ${m}`) });
    this.executor = new NoiseMux({
      role: "executor",
      identity: executorIdentity,
      offerReliability: options.executorReliable ?? true,
      registration: REGISTRATION,
      ...(options.limits ? { limits: options.limits } : {}),
      authorize: async (request) => {
        this.validations.push(request);
        return options.authorize ? options.authorize(request) : request.authorization === AUTHORIZATION ? "valid" : "invalid";
      },
      ...common,
      log: (m) => this.logs.push(`E ${m}`),
    });
    this.executor.onStream((stream) => {
      const record = this.streams.get(stream.streamId);
      if (record === undefined) throw new Error(`executor accepted an unknown stream ${stream.streamId}`);
      if (record.executor !== undefined) throw new Error(`executor accepted stream ${stream.streamId} twice`);
      record.executor = stream;
      stream.onMessage((m) => record.gotUp.push(m));
      stream.onClose((r) => record.closed.push(`E ${r}`));
    });
    this.connect();
  }

  connect(): void {
    const sockets = this.link.connect();
    this.harness.attachSocket(sockets.harness);
    this.executor.attachSocket(sockets.executor);
  }

  disconnect(): void {
    this.link.disconnect();
  }

  open(streamId: string, authorization = AUTHORIZATION): NoiseStreamRecord {
    const harness = this.harness.openStream({ remoteStatic: executorIdentity.publicKey, ...REGISTRATION, authorization, streamId });
    const record: NoiseStreamRecord = { harness, executor: undefined, sentUp: [], gotUp: [], sentDown: [], gotDown: [], closed: [] };
    harness.onMessage((m) => record.gotDown.push(m));
    harness.onClose((r) => record.closed.push(`H ${r}`));
    this.streams.set(streamId, record);
    return record;
  }

  /** Delivers frames and lets validations resolve until the link is quiet. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      this.link.flush();
      await new Promise((resolve) => setImmediate(resolve));
      if (this.link.queues.toExecutor.length === 0 && this.link.queues.toHarness.length === 0) return;
    }
  }

  sendUp(record: NoiseStreamRecord, message: string): void {
    record.sentUp.push(message);
    record.harness.send(message);
  }

  sendDown(record: NoiseStreamRecord, message: string): boolean {
    if (record.executor === undefined) return false;
    record.sentDown.push(message);
    record.executor.send(message);
    return true;
  }

  /** Reconnects if needed, then alternates delivering everything with firing the next timer. */
  heal(rounds = 400): void {
    if (!this.link.connected) this.connect();
    for (let i = 0; i < rounds; i++) {
      this.link.flush();
      const due = this.clock.nextDueAt();
      if (due === undefined) break;
      this.clock.advance(due - this.clock.now());
    }
    this.link.flush();
  }
}

export { executorIdentity, harnessIdentity };
