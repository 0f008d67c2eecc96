#!/usr/bin/env node
import { followParent, relaunch, relaunchArgs } from "./relaunch.js";

// The commands of many requests, and mine, run in a node of their own memory settings (src/cli/relaunch.ts);
// this process then only waits for that one. Nothing else is loaded before the choice.
const plan = relaunchArgs(process.argv[1]!, process.argv.slice(2), process.execArgv, process.env);
if (!(plan && (await relaunch(plan)))) {
  followParent(process.env);
  const [{ exitOnSignals }, { main }] = await Promise.all([import("./interrupt.js"), import("./program.js")]);
  // A closed pipe (`acc import … | head`) is a normal way for a reader to stop.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  exitOnSignals(process.stderr);
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
}
