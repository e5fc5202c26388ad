#!/usr/bin/env node
// Second step of `npm run build`: replaces tsc's `dist/src/cli.js` (the `exec-server` bin) with an
// esbuild bundle of the same JavaScript, so the CLI starts from a handful of files instead of ≈ 85.
//
// Why: Node 20's ESM loader costs ≈ 0.5 ms per module (resolve, stat, read, compile, link; 85 empty
// chained modules take ≈ 40 ms), which was a third of the CLI's cold start (docs/bench.md, cold
// start). The input is tsc's output, so the bundle has exactly tsc's semantics; esbuild only joins
// modules. Packages stay external (`ws`, `commander`, `undici` and node-pty are loaded with
// `require`, see src/util/ws-classes.ts), and each `await import()` of the CLI (the relay, the
// rendezvous, conformance) stays a lazily loaded chunk under `dist/src/cli-chunks/`. The other
// files of `dist/` (the library entry `dist/src/index.js` and its modules) are left as tsc wrote them.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/src`;
rmSync(`${outdir}/cli-chunks`, { recursive: true, force: true });
await build({
  entryPoints: [`${outdir}/cli.js`],
  outdir,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: "cli-chunks/[name]-[hash]",
  format: "esm",
  platform: "node",
  packages: "external",
  logLevel: "warning",
});
