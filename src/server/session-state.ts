import { ProcessTable } from "./process/process-table.js";
import type { ProcessTableOptions } from "./process/process-table-options.js";
import type { NotificationSink, SessionResources } from "./session-registry.js";

/** Everything one session owns: its process table. Survives detach; disposed when the session ends. */
export class SessionState implements SessionResources {
  readonly processes: ProcessTable;

  constructor(options: ProcessTableOptions) {
    this.processes = new ProcessTable(options);
  }

  setSink(sink: NotificationSink | null): void {
    this.processes.setSink(sink);
  }

  async dispose(): Promise<void> {
    await this.processes.dispose();
  }
}
