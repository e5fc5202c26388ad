/**
 * Wire types of the process methods and notifications (CONTRACT.md §3), re-exported from the
 * generated OpenRPC types so the process layer and the dispatcher share one definition. Only the
 * notification plumbing, which the OpenRPC document does not describe, is declared here.
 */
import type {
  EnvPolicy,
  OutputStream,
  ProcessClosedNotification,
  ProcessExitedNotification,
  ProcessOutputNotification,
  ProcessWriteResult,
} from "../../../generated/openrpc/types.js";

export type {
  EnvPolicy,
  ProcessClosedNotification,
  ProcessExitedNotification,
  ProcessOutputChunk,
  ProcessOutputNotification,
  ProcessReadParams,
  ProcessReadResult,
  ProcessSignalParams,
  ProcessSignalResult,
  ProcessStartParams,
  ProcessStartResult,
  ProcessTerminateParams,
  ProcessTerminateResult,
  ProcessWriteParams,
  ProcessWriteResult,
} from "../../../generated/openrpc/types.js";

/** Which output stream a chunk came from; PTY-backed processes only ever report `pty`. */
export type ProcessStream = OutputStream;

/** `inherit` mode of {@link EnvPolicy}. */
export type EnvInherit = NonNullable<EnvPolicy["inherit"]>;

/** `process/write` status: a status, never an error. */
export type ProcessWriteStatus = ProcessWriteResult["status"];

/** Method name → params of every notification the process layer emits. */
export interface ProcessNotifications {
  "process/output": ProcessOutputNotification;
  "process/exited": ProcessExitedNotification;
  "process/closed": ProcessClosedNotification;
}

/** Name of a notification the process layer emits. */
export type ProcessNotificationMethod = keyof ProcessNotifications;

/**
 * Receives notifications. Called synchronously, in seq order per process; it should not throw (a
 * throwing sink is reported to `onSinkError` and otherwise ignored).
 */
export type ProcessNotificationSink = <M extends ProcessNotificationMethod>(
  method: M,
  params: ProcessNotifications[M],
) => void;
