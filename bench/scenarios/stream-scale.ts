import type { Scenario } from "../lib/context.js";
export const streamScale: Scenario = { id: "stream-scale", title: "todo", run: async () => { throw new Error("todo"); } };
