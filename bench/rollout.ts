// npm run bench:rollout [-- --episodes 40] [-- --part loop|runner|sandbox]
// The agent loop of `acc rollout` against the in-process OpenAI-compatible server answering at once, with
// acc's own client, on the search environment over a corpus of real tool outputs (the shared trajectory
// samples; else this repository's sources) cut into documents of 150 to 12,000 characters, so that
// observations are a mix of search results (~1.5k chars) and opened documents (up to 4,000 chars, the
// default --max-chars). Every episode has its own task, and the scripted agent varies with the request's
// seed, so no first prompt repeats. Replies (vLLM-style, with token ids) are computed once in a warm-up
// pass and then answered from memory: the server costs the same for acc and for the raw client.
// 1. Loop overhead per step: episodes one at a time; the wall time minus the time inside tool calls,
//    minus what the raw client (bench/common.ts rawLoad, one request at a time) takes for the same
//    requests in the same order, per step. Includes acc's client, prompt prediction (the tokenizer), the
//    policy's checks, the context manager and the episode records. Target < 1 ms per step. Interleaved
//    rounds, medians.
// 2. Throughput of the whole runner (acc rollout's library call: groups, records, rows, Parquet,
//    checkpoints) at 32 episodes in flight, start to end, against the raw client replaying the same
//    requests at 32 in flight: episodes/s against requests/s divided by the requests of an episode; and
//    the same without the start-up (opening the environment, loading the tokenizer, timed on their own).
//    Interleaved rounds, medians. Then the same on tasks of uneven length (unevenActions: most episodes 4
//    tool calls, a tail to 32) whose answers each take UNEVEN_DELAY_MS, so that the run waits on the server:
//    there a long group at the head of the ordered output must not stop the others.
// 3. (bench/sandbox.ts, --part sandbox) The repo environment's sandbox: its cost per tool call and per
//    episode against the same work unconfined (--unsafe-no-sandbox), interleaved rounds, medians.
// acc's code runs from dist/ (built first).
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvSession, Environment } from "../src/envs/types.js";
import type { LlmClient } from "../src/llm/types.js";
import type { EpisodeSettings } from "../src/rollout/types.js";
import type { Answer } from "../src/testing/replies.js";
import { build, clock, cpuMicrosPerItem, fixedQuantile, fromDist, median, rawLoad, realTexts } from "./common.js";
import { sandboxCost } from "./sandbox.js";

build();
const { createEnvironment, DEFAULT_ENV_SETTINGS } = await fromDist<typeof import("../src/envs/index.js")>("envs/index.js");
const { createClient } = await fromDist<typeof import("../src/llm/client.js")>("llm/client.js");
const { Random } = await fromDist<typeof import("../src/random.js")>("random.js");
const { CONTINUATION, contextManager, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } = await fromDist<typeof import("../src/rollout/context.js")>("rollout/context.js");
const { runEpisode } = await fromDist<typeof import("../src/rollout/episode.js")>("rollout/episode.js");
const { Policy } = await fromDist<typeof import("../src/rollout/policy.js")>("rollout/policy.js");
const { PromptPredictor } = await fromDist<typeof import("../src/rollout/prompt.js")>("rollout/prompt.js");
const { nativeProtocol } = await fromDist<typeof import("../src/rollout/protocol.js")>("rollout/protocol.js");
const { rolloutRun } = await fromDist<typeof import("../src/rollout/run.js")>("rollout/run.js");
const { withCleanup } = await fromDist<typeof import("../src/io/cleanup.js")>("io/cleanup.js");
const { ChatTemplateText } = await fromDist<typeof import("../src/rollout/template.js")>("rollout/template.js");
const { startOpenAIServer } = await fromDist<typeof import("../src/testing/openai-server.js")>("testing/openai-server.js");
const { completionBody } = await fromDist<typeof import("../src/testing/replies.js")>("testing/replies.js");
const { withTokenIds } = await fromDist<typeof import("../src/testing/token-ids.js")>("testing/token-ids.js");
const { resolveTokenizer } = await fromDist<typeof import("../src/tokenize/resolve.js")>("tokenize/resolve.js");

const episodesArg = process.argv.indexOf("--episodes");
const EPISODES = episodesArg > 0 ? Number(process.argv[episodesArg + 1]) : 40;
const partArg = process.argv.indexOf("--part");
const PART = partArg > 0 ? process.argv[partArg + 1] : undefined;
const ROUNDS = 5;
const IN_FLIGHT = 32;
const GROUP_SIZE = 8;
/** Tool calls of an episode before its answer. */
const ACTIONS = 24;
const DOCUMENTS = 2000;
const work = mkdtempSync(join(tmpdir(), "acc-bench-rollout-"));

interface Doc {
  id: string;
  title: string;
  text: string;
}

/** Documents of 150 to 12,000 characters (log-uniform), cut from the real texts. */
function corpus(texts: string[]): Doc[] {
  const random = new Random("bench", "rollout-corpus");
  return Array.from({ length: DOCUMENTS }, (_, i) => {
    const length = Math.round(150 * Math.exp(random.next() * Math.log(12_000 / 150)));
    let text = "";
    while (text.length < length) {
      const source = random.pick(texts);
      const start = random.int(0, Math.max(0, source.length - length));
      text += source.slice(start, start + length - text.length);
    }
    const words = text.match(/[A-Za-z]{4,}/g) ?? ["document"];
    const title = `${words.slice(0, 3).join(" ")} ${i}`;
    return { id: `doc-${i}`, title, text };
  });
}

interface Body {
  seed?: number;
  messages: { role: string; content: string | null }[];
}

/** The task of a request: its number is in the first user message ("Task 12: …"). */
const taskOf = (body: Body) => Number(/^Task (\d+):/.exec(String(body.messages[1]!.content))?.[1]);
const STAGE = /Actions so far: (\d+)\./;

/** Tasks numbered from here are the uneven workload's. */
const UNEVEN_TASKS = 2000;
/** How long the server takes to answer each of their requests. */
const UNEVEN_DELAY_MS = 200;
/** Rounds of the uneven workload (its runs wait on the server: ~20 s each). */
const UNEVEN_ROUNDS = 2;

/**
 * Tool calls before the answer on the uneven workload, by task (the same in every episode of its group):
 * a fixed quantile per task of a long tail, median 4, p90 18, at most 32 (the context manager allows 4 summaries).
 */
function unevenActions(task: number): number {
  return Math.min(32, 2 * Math.round(1.5 * (1 - fixedQuantile(task)) ** -0.7));
}

const actionsOf = (task: number) => (task >= UNEVEN_TASKS ? unevenActions(task) : ACTIONS);

/**
 * The agent: alternately searches (words of a document's title, chosen by task, seed and step) and opens
 * that document (whatever its rank: opened documents then have the corpus's mix of lengths), for ACTIONS
 * tool calls (the uneven workload's tasks: unevenActions), summarizing when asked; then answers.
 */
function agent(docs: Doc[]): (body: Body) => Omit<Answer, "type"> {
  return (body) => {
    const messages = body.messages;
    const earlier = Number(STAGE.exec(String(messages[1]!.content))?.[1] ?? 0);
    const actions = earlier + messages.filter((m) => m.role === "assistant").length;
    if (messages.at(-1)?.content === SUPO_SUMMARY_PROMPT) return { content: `<summary>Actions so far: ${actions}. Searched and read documents on the task.</summary>` };
    const task = taskOf(body);
    if (actions >= actionsOf(task)) return { content: `<answer>answer ${task}</answer>` };
    const pick = docs[(task * 7919 + (body.seed ?? 0) * 104729 + (actions >> 1) * 131) % docs.length]!;
    if (actions % 2 === 0) return { content: "", tool_calls: [{ id: `call_${actions}`, name: "search", arguments: JSON.stringify({ query: pick.title }) }] };
    return { content: "", tool_calls: [{ id: `call_${actions}`, name: "open", arguments: JSON.stringify({ doc_id: pick.id }) }] };
  };
}

const texts = await realTexts();
const docs = corpus(texts);
const corpusFile = join(work, "corpus.jsonl");
writeFileSync(corpusFile, docs.map((doc) => `${JSON.stringify(doc)}\n`).join(""));
const tokenizer = await resolveTokenizer("qwen3");
const withIds = withTokenIds(tokenizer);
const policyOf = agent(docs);
/** Replies by request: computed (chat template, token ids) the first time, then answered from memory. */
const replies = new Map<string, string>();
/** Requests (body text and reply) in arrival order, while `recording` is set. */
let recording: { body: string; reply: string }[] | undefined;
const server = await startOpenAIServer(
  (req) => {
    const text = JSON.stringify(req.body);
    const key = createHash("sha256").update(text).digest("base64");
    let reply = replies.get(key);
    if (reply === undefined) {
      const body = req.body as Body;
      reply = JSON.stringify(withIds(body, { type: "answer", ...policyOf(body) }));
      replies.set(key, reply);
    }
    recording?.push({ body: text, reply });
    const answer = JSON.parse(reply) as Answer;
    // the uneven workload's server takes its time, as a model does: the run waits on it, not on the CPU
    return taskOf(req.body as Body) >= UNEVEN_TASKS ? { ...answer, delayMs: UNEVEN_DELAY_MS } : answer;
  },
  { record: false },
);

const task = (i: number) => ({ id: `task-${i}`, question: `Task ${i}: which documents describe ${docs[(i * 31) % docs.length]!.title}? Answer with their topic.`, answer: `answer ${i}` });

const settings: EpisodeSettings = {
  model: "policy",
  maxSteps: 100,
  maxTokens: 256,
  temperature: 1,
  topP: 1,
  tokenIds: true,
  protocol: nativeProtocol,
  // a window that fills about twice per episode
  context: { kind: "supo", window: 8192, ratio: 0.95, maxSummaries: 4, summaryMaxTokens: 256, summaryPrompt: SUPO_SUMMARY_PROMPT, continuation: CONTINUATION, maxSummaryChars: 6000, keepObservations: 5, placeholder: OBSERVATION_PLACEHOLDER },
};

/** An environment whose sessions add up the wall time (ms) and process CPU time (µs) spent inside tool calls. */
function timedTools(env: Environment, clock: { tools: number; toolsCpu: number }): Environment {
  const timed: Environment = Object.create(env) as Environment;
  timed.open = async (task) => {
    const session = await env.open(task);
    const wrapped: EnvSession = {
      async call(name, args) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        try {
          return await session.call(name, args);
        } finally {
          // both clock readings inside the tool's window: the bench's own timing is not billed to acc
          const used = process.cpuUsage(cpu);
          clock.toolsCpu += used.user + used.system;
          clock.tools += performance.now() - start;
        }
      },
      reward: (final) => session.reward(final),
      close: () => session.close(),
    };
    return wrapped;
  };
  return timed;
}

interface LoopPass {
  wallMs: number;
  cpuMicros: number;
  toolMs: number;
  toolCpuMicros: number;
  steps: number;
  summaries: number;
  observationChars: number[];
}

/** EPISODES episodes one at a time, each on its own task. */
async function loopPass(env: Environment, client: LlmClient): Promise<LoopPass> {
  const tools = { tools: 0, toolsCpu: 0 };
  const requestTools = nativeProtocol.requestTools(env.tools);
  const text = new ChatTemplateText(tokenizer, { ...(requestTools ? { tools: requestTools } : {}) });
  const deps = { env: timedTools(env, tools), policy: new Policy(client, settings, tokenizer, text, env.tools, settings.context.window), manager: contextManager(settings.context), settings };
  let steps = 0;
  let summaries = 0;
  const observationChars: number[] = [];
  const { seconds, cpu } = await clock(async () => {
    for (let i = 0; i < EPISODES; i++) {
      const output = await runEpisode({ ...deps, predictor: new PromptPredictor(text, tokenizer) }, { task: task(i), groupId: `task-${i}`, sampleIndex: 0, seed: i });
      if (output.episode.stop_reason !== "final" || output.episode.reward !== 1) throw new Error(`bench episode ended ${output.episode.stop_reason}: ${output.episode.error ?? output.episode.verdict.detail}`);
      steps += output.episode.counts.steps;
      summaries += output.episode.counts.summaries;
      for (const entry of output.transcript) if (entry.type === "message" && entry.message.role === "tool") observationChars.push(entry.message.content?.length ?? 0);
    }
  });
  return { wallMs: seconds * 1000, cpuMicros: cpu, toolMs: tools.tools, toolCpuMicros: tools.toolsCpu, steps, summaries, observationChars };
}

async function loopOverhead() {
  const env = await createEnvironment({ kind: "search", path: corpusFile });
  const client = createClient({ endpoint: server.url, concurrency: 1 });
  try {
    recording = [];
    await loopPass(env, client); // warm-up: computes the replies, records the requests in order
    const sequence = recording.map((request) => request.body);
    const floor = floorMicros(recording);
    recording = undefined;
    const rounds: { overheadMs: number; cpuOverheadMs: number; pass: LoopPass; rawMs: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const pass = await loopPass(env, client);
      if (pass.steps !== sequence.length) throw new Error(`${pass.steps} steps, ${sequence.length} requests recorded`);
      const raw = await clock(() => rawLoad(server.url, sequence, 1));
      const rawMs = (raw.seconds * 1000) / sequence.length;
      rounds.push({ pass, rawMs, overheadMs: (pass.wallMs - pass.toolMs) / pass.steps - rawMs, cpuOverheadMs: (pass.cpuMicros - pass.toolCpuMicros - raw.cpu) / 1000 / pass.steps });
    }
    return { rounds, floor };
  } finally {
    await client.close();
    await env.close();
  }
}

/**
 * CPU µs per step of what any agent loop must do that the raw client does not: serialise the request,
 * parse the answer (token ids included) and tokenize what the step added to the conversation (tool
 * results, or the task at a segment's start), to know the prompt's length before sending it.
 */
function floorMicros(requests: readonly { body: string; reply: string }[]): number {
  const prepared = requests.map(({ body, reply }, i) => {
    const request = JSON.parse(body) as Body;
    const response = JSON.stringify(completionBody(JSON.parse(reply) as Answer, request, `chatcmpl-${i}`, 0));
    const lastTurn = request.messages.findLastIndex((m) => m.role === "assistant");
    const added = request.messages.slice(Math.max(1, lastTurn + 1)).map((m) => m.content ?? "");
    return { request, response, added };
  });
  return cpuMicrosPerItem(prepared, (step) => {
    JSON.stringify(step.request);
    JSON.parse(step.response);
    for (const text of step.added) tokenizer.encode(text);
  });
}

/** `acc rollout` as the command runs it (the library call), from its start to its end (records and Parquet included). */
async function runnerPass(tasksFile: string, out: string) {
  // inside withCleanup, as the CLI runs every command (src/cli/program.ts)
  const { value: stats, seconds } = await clock(() =>
    withCleanup(() => rolloutRun({
      tasks: tasksFile,
      outDir: out,
      env: { kind: "search", path: corpusFile },
      envSettings: DEFAULT_ENV_SETTINGS,
      client: { endpoint: server.url, concurrency: IN_FLIGHT },
      episode: { ...settings, protocol: "native" },
      groupSize: GROUP_SIZE,
      seed: 0,
      tokenizer: "qwen3",
      concurrency: IN_FLIGHT,
    })),
  );
  if (stats.data.successes !== stats.data.episodes) throw new Error(`bench episodes failed: ${JSON.stringify(stats.data)}`);
  return { seconds, episodes: stats.data.episodes, stepsPerEpisode: stats.data.steps / stats.data.episodes };
}

/** What the runner does once before its first episode: open the environment and load the tokenizer. */
async function startupSeconds(): Promise<number> {
  const { seconds } = await clock(async () => {
    const env = await createEnvironment({ kind: "search", path: corpusFile });
    await resolveTokenizer("qwen3");
    await env.close();
  });
  return seconds;
}

async function runnerThroughput(first = 1000, groups = Math.ceil((EPISODES * 4) / GROUP_SIZE), roundCount = ROUNDS) {
  const tasksFile = join(work, `tasks-${first}.jsonl`);
  writeFileSync(tasksFile, Array.from({ length: groups }, (_, i) => `${JSON.stringify(task(first + i))}\n`).join(""));
  recording = [];
  await runnerPass(tasksFile, join(work, "runner-warm-up")); // computes the replies, records the requests
  const bodies = recording.map((request) => request.body);
  recording = undefined;
  const rounds: { ratio: number; steadyRatio: number; episodesPerSecond: number; rawPerSecond: number; stepsPerEpisode: number; startupSeconds: number }[] = [];
  for (let round = 0; round < roundCount; round++) {
    const run = await runnerPass(tasksFile, join(work, `runner-${first}-${round}`));
    const startup = await startupSeconds();
    const raw = await rawLoad(server.url, bodies, IN_FLIGHT);
    const ideal = raw / run.stepsPerEpisode;
    const episodesPerSecond = run.episodes / run.seconds;
    rounds.push({
      episodesPerSecond,
      rawPerSecond: raw,
      stepsPerEpisode: run.stepsPerEpisode,
      startupSeconds: startup,
      ratio: episodesPerSecond / ideal,
      steadyRatio: run.episodes / (run.seconds - startup) / ideal,
    });
  }
  return rounds;
}

async function reportLoop() {
  const { rounds: loop, floor } = await loopOverhead();
  const pass = loop[0]!.pass;
  const chars = pass.observationChars.slice().sort((a, b) => a - b);
  const quantile = (q: number) => chars[Math.min(chars.length - 1, Math.floor(q * chars.length))]!;
  console.log(`corpus: ${DOCUMENTS} documents of real tool output, 150–12,000 chars; observations: median ${quantile(0.5)} chars, 90th percentile ${quantile(0.9)}, max ${chars.at(-1)}`);
  console.log(`loop overhead, ${EPISODES} episodes one at a time, each its own task (${(pass.steps / EPISODES).toFixed(1)} LLM calls and ${(pass.summaries / EPISODES).toFixed(1)} summaries each), ${ROUNDS} interleaved rounds (medians):`);
  const overhead = median(loop.map((r) => r.overheadMs));
  console.log(`  ${overhead.toFixed(3)} ms per step beyond the raw client and the tools (target < 1 ms): ${overhead < 1 ? "met" : "NOT met"}`);
  console.log(`  ${median(loop.map((r) => r.cpuOverheadMs)).toFixed(3)} ms CPU per step beyond the raw client and the tools`);
  const ratio = median(loop.map((r) => r.rawMs / ((r.pass.wallMs - r.pass.toolMs) / r.pass.steps)));
  console.log(`  ratio: ${ratio.toFixed(2)}x the raw client's steps/s (acc's time per step without the tools' time against the raw client's per request)`);
  console.log(`  work any agent loop must do per step beyond the raw client (serialise the request, parse the answer and its token ids, tokenize the new messages): ${(floor / 1000).toFixed(3)} ms CPU`);
  console.log(`  (per step: the raw client ${median(loop.map((r) => r.rawMs)).toFixed(3)} ms, tools ${median(loop.map((r) => r.pass.toolMs / r.pass.steps)).toFixed(3)} ms, acc in all ${median(loop.map((r) => r.pass.wallMs / r.pass.steps)).toFixed(3)} ms)`);

}

async function reportRunner() {
  const runner = await runnerThroughput();
  console.log(`throughput at ${IN_FLIGHT} episodes in flight (groups of ${GROUP_SIZE}, ${runner[0]!.stepsPerEpisode.toFixed(1)} LLM calls an episode), ${ROUNDS} interleaved rounds (medians):`);
  console.log(`  raw client ${median(runner.map((r) => r.rawPerSecond)).toFixed(0)} requests/s = ${median(runner.map((r) => r.rawPerSecond / r.stepsPerEpisode)).toFixed(1)} episodes/s`);
  console.log(`  acc rollout ${median(runner.map((r) => r.episodesPerSecond)).toFixed(1)} episodes/s = ${median(runner.map((r) => r.ratio)).toFixed(2)}x the raw client (the whole run: start-up, records, Parquet)`);
  console.log(`  ${median(runner.map((r) => r.steadyRatio)).toFixed(2)}x without its start-up (opening the environment and loading the tokenizer: ${median(runner.map((r) => r.startupSeconds)).toFixed(2)} s)`);
  const unevenGroups = 2 * Math.ceil((EPISODES * 4) / GROUP_SIZE);
  const uneven = await runnerThroughput(UNEVEN_TASKS, unevenGroups, UNEVEN_ROUNDS);
  const actions = Array.from({ length: unevenGroups }, (_, i) => unevenActions(UNEVEN_TASKS + i)).sort((a, b) => a - b);
  console.log(`the same on ${unevenGroups} tasks of uneven length (tool calls before the answer: median ${actions[actions.length >> 1]}, p90 ${actions[Math.floor(0.9 * (actions.length - 1))]}, max ${actions.at(-1)}; ${uneven[0]!.stepsPerEpisode.toFixed(1)} LLM calls an episode on average), each answer after ${UNEVEN_DELAY_MS} ms, ${UNEVEN_ROUNDS} interleaved rounds (medians):`);
  console.log(`  raw client ${median(uneven.map((r) => r.rawPerSecond)).toFixed(0)} requests/s = ${median(uneven.map((r) => r.rawPerSecond / r.stepsPerEpisode)).toFixed(1)} episodes/s`);
  console.log(`  acc rollout ${median(uneven.map((r) => r.episodesPerSecond)).toFixed(1)} episodes/s = ${median(uneven.map((r) => r.ratio)).toFixed(2)}x the raw client, ${median(uneven.map((r) => r.steadyRatio)).toFixed(2)}x without its start-up`);
}

try {
  if (PART === undefined || PART === "loop") await reportLoop();
  if (PART === undefined || PART === "runner") await reportRunner();
  if (PART === undefined || PART === "sandbox") console.log((await sandboxCost()).join("\n"));
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
