import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { trackTemp } from "./cleanup.js";

/** The input path that means standard input. */
export const STDIN = "-";

let source: Readable = process.stdin;
let spooled: Promise<string> | undefined;

/** Where `-` reads from (the CLI passes its stdin; tests pass their own), for the run about to start. */
export function setStdin(stream: Readable): void {
  source = stream;
  spooled = undefined;
}

/**
 * The path to read for an input: itself, or for `-` a temporary copy of standard input. Stages read an
 * input more than once (format detection, then the records; compile's distractor pool, then the
 * samples), so stdin is spooled to a file once, on first use; records still name their file `-`. The
 * copy is tracked like any temporary file and removed when the command ends.
 */
export function contentPath(path: string): Promise<string> {
  if (path !== STDIN) return Promise.resolve(path);
  spooled ??= spool(source);
  return spooled;
}

/** `stat` of an input, `-` included (the spooled copy: a fresh time every run, so a run from stdin never resumes another). */
export async function statInput(path: string): Promise<Stats> {
  return stat(await contentPath(path));
}

async function spool(stream: Readable): Promise<string> {
  const path = join(tmpdir(), `acc-stdin-${process.pid}-${Date.now()}`);
  trackTemp(path);
  await pipeline(stream, createWriteStream(path, { mode: 0o600 }));
  return path;
}
