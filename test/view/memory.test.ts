// acc view's memory does not grow with its input: a real `acc view` process whose JavaScript heap is capped
// well below the input's size builds the whole site. An implementation that held the records, their pages
// or their list entries would need the input's size again in heap (parsed JSON takes more than its text)
// and dies at the cap. `npm run bench:view` measures the same on 1 GB (peak RSS against input size).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { builtCli } from "../helpers/built-cli.js";
import { tempDir } from "../helpers/collect.js";
import { importExamples, readJsonl } from "./fixtures.js";

/**
 * V8's old-space cap for the acc process (the built CLI, as users run it), MiB: what acc view itself
 * needs (it builds this site under 24 MiB and dies under 16), with room to spare. Keeping each line's
 * text instead of its parsed record is enough to die at this cap.
 */
const HEAP_CAP_MIB = 32;
/** The input's size: twice the cap. */
const INPUT_BYTES = 2 * HEAP_CAP_MIB * 1024 * 1024;
/** Text each copied record's tool results carry beyond their own: files this repository's agents would read. */
const EXTRA_PER_RECORD = 96 * 1024;

function sourceTexts(): string[] {
  const dir = join(import.meta.dirname, "../../src/view");
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
}

/** Copies of the bundled examples' trajectories, each with its own id and larger tool results, streamed to `path` up to `bytes`. */
async function writeInput(path: string, records: Trajectory[], bytes: number): Promise<number> {
  const texts = sourceTexts();
  const out = createWriteStream(path);
  let written = 0;
  let lines = 0;
  for (let copy = 0; written < bytes; copy++) {
    const record = records[copy % records.length]!;
    const tools = record.messages.filter((m) => m.role === "tool").length;
    let t = copy;
    const messages = record.messages.map((m) => {
      if (m.role !== "tool") return m;
      let extra = "";
      while (extra.length < EXTRA_PER_RECORD / tools) extra += `\n${texts[t++ % texts.length]}`;
      return { ...m, content: `${m.content}${extra}` };
    });
    const line = `${JSON.stringify({ ...record, id: `${record.id}-copy-${copy}`, messages })}\n`;
    written += Buffer.byteLength(line);
    lines++;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
  return lines;
}

it(`acc view builds the site of ${INPUT_BYTES / 2 ** 20} MiB of trajectories with its heap capped at ${HEAP_CAP_MIB} MiB`, async () => {
  const dir = tempDir();
  const records = readJsonl<Trajectory>(await importExamples(dir));
  const input = join(dir, "input.jsonl");
  const lines = await writeInput(input, records, INPUT_BYTES);
  const site = join(dir, "site");
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MIB}`, (await builtCli()).main, "view", input, "-o", site, "-q"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, null, stderr.slice(-2000));
  assert.equal(code, 0, stderr.slice(-2000));
  // every record of the input got its page: the run did the whole work under the cap
  assert.equal(readdirSync(join(site, "site/records/trajectory")).length, lines);
});
