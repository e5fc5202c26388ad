import type { Scenario } from "../lib/context.js";
export const lossyRelay: Scenario = { id: "lossy-relay", title: "todo", run: async () => { throw new Error("todo"); } };
