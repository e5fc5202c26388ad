import type { Timers } from "../../src/rpc/client-core.js";

/** Manually advanced timers: tests never wait on real time. */
export function createFakeTimers(): { timers: Timers; advance(ms: number): void; readonly pending: number } {
  const tasks = new Map<number, { run: () => void; at: number }>();
  let now = 0;
  let nextId = 0;
  return {
    timers: {
      setTimeout(run, ms) {
        tasks.set(++nextId, { run, at: now + ms });
        return nextId;
      },
      clearTimeout(handle) {
        tasks.delete(handle as number);
      },
    },
    advance(ms) {
      now += ms;
      for (const [id, task] of [...tasks].sort((a, b) => a[1].at - b[1].at)) {
        if (task.at <= now) {
          tasks.delete(id);
          task.run();
        }
      }
    },
    get pending() {
      return tasks.size;
    },
  };
}
