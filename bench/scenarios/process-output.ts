import type { Scenario } from "../lib/context.js";
export const processOutput: Scenario = { id: "process-output", title: "todo", run: async () => { throw new Error("todo"); } };
