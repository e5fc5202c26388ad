import type { Scenario } from "../lib/context.js";
export const bulkRead: Scenario = { id: "bulk-read", title: "todo", run: async () => { throw new Error("todo"); } };
