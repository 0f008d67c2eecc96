#!/usr/bin/env node
import { exitOnSignals } from "./interrupt.js";
import { main } from "./program.js";

// A closed pipe (`acc import … | head`) is a normal way for a reader to stop.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
exitOnSignals(process.stderr);
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
