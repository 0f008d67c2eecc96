// Real outputs of acc's stages for the viewer's tests, made by running the stages (the CLI, in-process)
// on the bundled examples, a scripted policy on the test server and a scripted repository; and hostile
// copies of real records, each still a valid record of its kind.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { validate } from "../../src/records/validate.js";
import { runCli } from "../helpers/collect.js";
import { buildExamples, EXAMPLE_LOGS } from "../helpers/examples.js";
import { buildScenario } from "../mine/scenario.js";
import { isSummaryRequest, policyServer, turns } from "../rollout/harness.js";

async function cli(argv: string[]): Promise<void> {
  const result = await runCli(argv);
  assert.equal(result.code, 0, `acc ${argv.join(" ")}: ${result.stderr}`);
}

export async function importExamples(dir: string): Promise<string> {
  const out = join(dir, "import", "trajectories.jsonl");
  await cli(["import", EXAMPLE_LOGS, "-o", out, "-q"]);
  return out;
}

export async function compileExamples(dir: string): Promise<string> {
  const { db, repo } = buildExamples();
  const out = join(dir, "compile");
  await cli(["compile", EXAMPLE_LOGS, "-o", out, "--repo", repo, "--db", db, "-q"]);
  return out;
}

const CORPUS = join(import.meta.dirname, "../../examples/rollout/corpus.jsonl");
const QUERIES = ["Solaris novel", "Stanisław Lem", "Lem born"];

/**
 * A search rollout with SUPO summaries: episodes with an even seed answer after one summary, the others
 * keep searching until the summary cap stops them (overlong, masked out of the loss).
 */
export async function rolloutSearch(dir: string): Promise<string> {
  const tasks = join(dir, "tasks.jsonl");
  writeFileSync(tasks, `${JSON.stringify({ id: "solaris", question: "In which year was the author of the novel Solaris born?", answer: "1921" })}\n`);
  const server = await policyServer((body) => {
    if (isSummaryRequest(body)) return { content: "<summary>Solaris is by Stanisław Lem, born 1921.</summary>" };
    const resumed = String(body.messages[1]?.content).includes("following stage");
    if (resumed && body.seed % 2 === 0) return { content: "<answer>1921</answer>" };
    const n = turns(body);
    const call = n % 2 === 0 ? { name: "search", arguments: JSON.stringify({ query: QUERIES[(n / 2) % QUERIES.length], k: 3 }) } : { name: "open", arguments: JSON.stringify({ doc_id: "lem" }) };
    return { content: "", tool_calls: [{ id: `call_${n}`, ...call }] };
  });
  const out = join(dir, "rollout");
  try {
    await cli(["rollout", "--env", `search:${CORPUS}`, "--tasks", tasks, "--endpoint", server.url, "--model", "policy", "--group-size", "4", "--window", "1400", "--max-tokens", "256", "--summary-max-tokens", "128", "--max-summaries", "1", "-o", out, "-q"]);
  } finally {
    await server.close();
  }
  return out;
}

export async function mineScenario(dir: string): Promise<string> {
  const { repo } = buildScenario();
  const out = join(dir, "mine");
  await cli(["mine", repo.dir, "-o", out, "-q"]);
  return out;
}

/** A few generated GraphWalks items graded against scripted answers (every other one half right). */
export async function gradeGraphwalks(dir: string): Promise<string> {
  const data = join(dir, "graphwalks.jsonl");
  await cli(["eval", "graphwalks", "--data", "generated:sizes=8k,per-size=2", "--save-data", data]);
  const answers = readFileSync(data, "utf8")
    .trim()
    .split("\n")
    .map((line, i) => {
      const item = JSON.parse(line) as { id: string; answer_nodes: string[] };
      const nodes = i % 2 === 0 ? item.answer_nodes : item.answer_nodes.slice(0, 1);
      return JSON.stringify({ id: item.id, text: `Final Answer: [${nodes.join(", ")}]` });
    });
  const responses = join(dir, "answers.jsonl");
  writeFileSync(responses, `${answers.join("\n")}\n`);
  const out = join(dir, "eval");
  await cli(["eval", "graphwalks", "--data", data, "--responses", responses, "-o", out]);
  return out;
}

/** Markup and URLs that would run script or load something if a page let record text through as HTML. */
export const PAYLOADS = [
  `<script>window.__pwned="script"</script>`,
  `<img src="http://127.0.0.1:{port}/img" onerror="window.__pwned='img'">`,
  `"><svg onload="window.__pwned='svg'"></svg>`,
  `'><iframe src="http://127.0.0.1:{port}/frame"></iframe>`,
  `</pre></details></li></ol><script>window.__pwned="close"</script>`,
  `<a href="javascript:window.__pwned='href'">x</a><form action="http://127.0.0.1:{port}/form"><button>go</button></form>`,
  `<link rel="stylesheet" href="http://127.0.0.1:{port}/css"><style>@import url(http://127.0.0.1:{port}/import);</style>`,
  `<meta http-equiv="refresh" content="0;url=http://127.0.0.1:{port}/refresh"><base href="http://127.0.0.1:{port}/">`,
  `<object data="http://127.0.0.1:{port}/object"></object><video src="http://127.0.0.1:{port}/video"></video>`,
  `\u2028</script><script>window.__pwned="u2028"</script>{{constructor.constructor('window.__pwned=1')()}}`,
];

/**
 * A copy of `record` whose every string (ids, keys' values, texts, names) carries a payload, except
 * where the schema refuses it (shas, timestamps, enums): each change is kept only while the record still
 * validates, so the copy goes through its kind's own page, not the plain-record fallback.
 */
export function hostileCopy<T>(record: T, schema: z.ZodType<T>, port: number): T {
  const copy = structuredClone(record) as unknown;
  let n = 0;
  const visit = (node: unknown, set: (value: unknown) => void): void => {
    if (typeof node === "string") {
      const payload = PAYLOADS[n++ % PAYLOADS.length]!.replaceAll("{port}", String(port));
      set(`${node}${payload}`);
      if (!validate(schema, copy).ok) set(node);
    } else if (Array.isArray(node)) node.forEach((child, i) => visit(child, (v) => (node[i] = v)));
    else if (node !== null && typeof node === "object") for (const key of Object.keys(node)) visit((node as Record<string, unknown>)[key], (v) => ((node as Record<string, unknown>)[key] = v));
  };
  visit(copy, () => {});
  assert.ok(validate(schema, copy).ok);
  return copy as T;
}

export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  const text = readFileSync(file, "utf8");
  return text === "" ? [] : text.trimEnd().split("\n").map((line) => JSON.parse(line) as T);
}

export function writeJsonl(file: string, records: readonly unknown[]): void {
  writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
}
