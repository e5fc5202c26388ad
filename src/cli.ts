#!/usr/bin/env node
import { Command } from "./cli/commander-classes.js";
import { configureClientCommands } from "./cli/client-commands.js";
import { configureConformance } from "./cli/conformance-command.js";
import { configureForward } from "./cli/forward-command.js";
import { configureRendezvous } from "./cli/rendezvous-command.js";
import { configureServe } from "./cli/serve-command.js";

const program = new Command()
  .name("exec-server")
  .description(
    "Remote execution server for agent harnesses: JSON-RPC over a websocket (processes, PTYs, files).\n" +
      "Without a subcommand it serves: locally on --listen (prints the bound ws://IP:PORT on stdout),\n" +
      "or, with --remote, as an executor registered with a rendezvous.",
  )
  .enablePositionalOptions();
configureServe(program);
configureRendezvous(program);
configureForward(program);
configureClientCommands(program);
configureConformance(program);

await program.parseAsync(process.argv);
