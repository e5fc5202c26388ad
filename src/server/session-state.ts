import type { FlowControl } from "../rpc/message-transport.js";
import { EnvironmentManager, type EnvironmentManagerOptions } from "../environments/environment-manager.js";
import { ProcessTable } from "./process/process-table.js";
import type { ProcessTableOptions } from "./process/process-table-options.js";
import type { NotificationSink, SessionResources } from "./session-registry.js";

/** Options for the resources of each session. */
export interface SessionStateOptions {
  processes?: ProcessTableOptions;
  environments?: Omit<EnvironmentManagerOptions, "onNotification">;
}

/**
 * Everything one session owns: its local process table and its named remote environments.
 * Survives detach; disposed when the session ends. Notifications of remote environments reach the
 * attached connection tagged with their `environmentId` (CONTRACT §8).
 */
export class SessionState implements SessionResources {
  readonly processes: ProcessTable;
  readonly environments: EnvironmentManager;
  #sink: NotificationSink | null = null;
  #flow: FlowControl | undefined;

  constructor(options: SessionStateOptions = {}) {
    this.processes = new ProcessTable(options.processes ?? {});
    this.environments = new EnvironmentManager({
      ...options.environments,
      onNotification: (environmentId, method, params) => {
        this.#sink?.(method, { ...(params as object), environmentId });
      },
      downstreamFlow: () => (this.#sink === null ? undefined : this.#flow),
    });
  }

  /**
   * Local process output and remote environments' notifications both honour `flow`: local children
   * are paused, remote connections stop reading (their servers then pause the remote children).
   */
  setSink(sink: NotificationSink | null, flow?: FlowControl): void {
    this.#sink = sink;
    this.#flow = flow;
    this.environments.resumeAll();
    this.processes.setSink(sink, flow ?? null);
  }

  async dispose(): Promise<void> {
    this.environments.closeAll();
    await this.processes.dispose();
  }
}
