import type { Scenario } from "../lib/context.js";
export const coldStart: Scenario = { id: "cold-start", title: "todo", run: async () => { throw new Error("todo"); } };
