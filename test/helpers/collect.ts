import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import type { Reject } from "../../src/formats/types.js";
import type { ImportEvent, ImportOptions } from "../../src/import/run.js";
import type { Trajectory } from "../../src/records/trajectory.js";

// The import stage and the CLI are loaded by the helpers that use them, not by every test file that only
// wants a temporary folder: under tsx each module loaded costs a test process CPU time.

export async function importAll(inputs: string[], options: ImportOptions = {}) {
  const { importTrajectories } = await import("../../src/import/run.js");
  const trajectories: Trajectory[] = [];
  const rejects: Reject[] = [];
  const skipped: string[] = [];
  const audits: Extract<ImportEvent, { type: "audit" }>[] = [];
  for await (const event of importTrajectories(inputs, options)) {
    if (event.type === "trajectory") trajectories.push(event.trajectory);
    else if (event.type === "reject") rejects.push(event.reject);
    else if (event.type === "skip") skipped.push(event.file);
    else if (event.type === "audit") audits.push(event);
  }
  return { trajectories, rejects, skipped, audits };
}

/** Folders made by tempDir in this process, removed when it exits (21,750 of them, 44 GB, had piled up in /tmp in a day of runs). */
const tempDirs: string[] = [];
process.on("exit", () => {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a test left a folder it cannot remove (made read-only to attack it): the OS's temporary folder keeps it
    }
  }
});

export function tempDir(prefix = "acc-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString("utf8");
    done();
  }
}

/** Runs the CLI in-process and returns its exit code and both streams; `stdin` is what `-` reads. */
export async function runCli(argv: string[], options: { stdin?: string | Buffer } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from(options.stdin === undefined ? [] : [typeof options.stdin === "string" ? Buffer.from(options.stdin) : options.stdin]);
  const { main } = await import("../../src/cli/program.js");
  const code = await main(argv, { stdout, stderr, stdin });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
