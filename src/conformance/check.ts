import type { ExecServerClient } from "../../generated/openrpc/client.js";
import type { InitializeCapabilities } from "../../generated/openrpc/types.js";
import type { Clock } from "../util/clock.js";
import type { Dialect } from "./dialect.js";
import type { HttpFixture } from "./codex/http-fixture.js";
import type { RawPeer } from "./raw-peer.js";

/** Thrown by a check to fail with `message` as the report's reason. */
export class CheckFailure extends Error {
  override readonly name = "CheckFailure";
}

/** Thrown by a check to skip with `message` as the reason (the server legitimately lacks something). */
export class CheckSkipped extends Error {
  override readonly name = "CheckSkipped";
}

/** Fails the current check. */
export function fail(reason: string): never {
  throw new CheckFailure(reason);
}

/** Skips the current check. */
export function skip(reason: string): never {
  throw new CheckSkipped(reason);
}

/** Fails the current check with `reason` unless `condition` holds. */
export function expect(condition: unknown, reason: string | (() => string)): asserts condition {
  if (!condition) throw new CheckFailure(typeof reason === "string" ? reason : reason());
}

/** A server notification as a {@link ConformanceClient} logged it. */
export interface LoggedNotification {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

/** The typed client plus what a check needs around it. */
export interface ConformanceClient {
  readonly client: ExecServerClient;
  /** The session id `initialize` returned, or undefined when the server answered `{}`. */
  readonly sessionId: string | undefined;
  /** Every `process/*` notification received, in order. */
  readonly notifications: readonly LoggedNotification[];
  /** Resolves when `pick` returns a value (checked now and after every notification); fails the check after `timeoutMs`. */
  waitForNotification<T>(pick: (log: readonly LoggedNotification[]) => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  /** Closes the connection. */
  close(): void;
}

/** Options for {@link CheckContext.openClient}. */
export interface OpenClientOptions {
  /** Send `initialize` + `initialized` first (default true). */
  handshake?: boolean;
  /** `resumeSessionId` for `initialize`. */
  resumeSessionId?: string;
  /** `capabilities` for `initialize`. */
  capabilities?: InitializeCapabilities;
}

/** What a check is given. Connections opened through it are closed when the check ends. */
export interface CheckContext {
  /** The dialect the run speaks. */
  readonly dialect: Dialect;
  /**
   * Root scratch directory of the run: an absolute path in the seed dialect, a `file:` URI on the
   * server's host (already canonical, no trailing slash) in the codex-0.169 dialect.
   */
  readonly scratchDir: string;
  /**
   * A directory reserved for this check, `<scratchDir>/<check id slug>` (same form as
   * {@link scratchDir}; the slug needs no percent-encoding); not created yet.
   */
  readonly checkDir: string;
  /** codex-0.169: the `environmentInfo` the server announced when the run started; undefined in seed. */
  readonly environmentInfo: Readonly<Record<string, unknown>> | undefined;
  /**
   * A loopback HTTP server inside the runner for `http/request` checks and examples; undefined when
   * the server under test is not known to run on this machine (its loopback is not ours).
   */
  readonly http: HttpFixture | undefined;
  readonly clock: Clock;
  /** Default wait for one response or event, in milliseconds. */
  readonly stepTimeoutMs: number;
  /** Opens a connection for raw JSON. */
  openRaw(): Promise<RawPeer>;
  /** Opens a connection with the generated typed client (handshake done unless told otherwise). */
  openClient(options?: OpenClientOptions): Promise<ConformanceClient>;
  /** Records a protocol variant for the report. */
  variant(key: string, value: string): void;
  /**
   * Records a tolerated difference: the variant `key=value` and `detail` as a note on this check's
   * row (shown for a passing check as "tolerated: ...").
   */
  tolerate(key: string, value: string, detail: string): void;
  /** Waits `ms` milliseconds on the injected clock. */
  sleep(ms: number): Promise<void>;
  /** Diagnostics. */
  log(line: string): void;
}

/** One conformance check. */
export interface Check {
  /** Stable id `family/name`; the `only` filter matches it. */
  readonly id: string;
  /** What it asserts, one line. */
  readonly title: string;
  /** Overall budget in milliseconds; default the run's `checkTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Resolves to pass; throws {@link CheckFailure}/{@link CheckSkipped} (any other throw is a failure). */
  run(ctx: CheckContext): Promise<void>;
}
