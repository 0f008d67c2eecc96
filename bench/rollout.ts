// npm run bench:rollout [-- --episodes 40]
// 1. Per-step overhead of the agent loop without model time: episodes run one at a time against the local
//    server answering at once (replies precomputed, vLLM-style token ids included); the time inside the
//    LLM client and inside tool calls is subtracted from the wall time. Target < 1 ms per step.
// 2. Episodes per second of the whole runner (acc rollout's library call: groups, records, rows,
//    checkpoints), from its first group written to its last, at 32 episodes in flight, against the server's raw capacity measured in the same run
//    (the same request bodies replayed by a plain keep-alive HTTP client at 32 in flight) divided by the
//    steps of an episode.
import { rawLoad } from "./common.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEnvironment, DEFAULT_ENV_SETTINGS } from "../src/envs/index.js";
import type { EnvSession, Environment } from "../src/envs/types.js";
import { createClient } from "../src/llm/client.js";
import type { LlmClient } from "../src/llm/types.js";
import { CONTINUATION, contextManager, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } from "../src/rollout/context.js";
import { runEpisode } from "../src/rollout/episode.js";
import { Policy } from "../src/rollout/policy.js";
import { PromptPredictor } from "../src/rollout/prompt.js";
import { nativeProtocol } from "../src/rollout/protocol.js";
import { rolloutRun } from "../src/rollout/run.js";
import { ChatTemplateText } from "../src/rollout/template.js";
import type { EpisodeSettings } from "../src/rollout/types.js";
import { startOpenAIServer } from "../src/testing/openai-server.js";
import type { Answer } from "../src/testing/replies.js";
import { withTokenIds } from "../src/testing/token-ids.js";
import { resolveTokenizer } from "../src/tokenize/resolve.js";

const episodesArg = process.argv.indexOf("--episodes");
const EPISODES = episodesArg > 0 ? Number(process.argv[episodesArg + 1]) : 40;
const IN_FLIGHT = 32;
const CORPUS = join(import.meta.dirname, "../examples/rollout/corpus.jsonl");
const QUESTION = "In which year was the author of the novel Solaris born?";
const QUERIES = ["Solaris novel", "Stanisław Lem", "Lem born", "Lwów city", "Polish writer", "science fiction ocean planet", "The Cyberiad", "Kraków"];
const work = mkdtempSync(join(tmpdir(), "acc-bench-rollout-"));

interface Body {
  messages: { role: string; content: string | null }[];
}

/** The agent: searches and opens documents for 16 actions, summarizing when asked, then answers. */
function policy(body: Body): Omit<Answer, "type"> {
  const messages = body.messages;
  if (messages.at(-1)?.content === SUPO_SUMMARY_PROMPT) return { content: "<summary>Solaris is by Stanisław Lem; his page says he was born in 1921.</summary>" };
  const actions = messages.filter((m) => m.role === "assistant").length + (String(messages[1]!.content).includes("We are in the following stage") ? 8 : 0);
  if (actions >= 16) return { content: "<answer>1921</answer>" };
  const call = actions % 2 === 0 ? { name: "search", arguments: JSON.stringify({ query: QUERIES[(actions / 2) % QUERIES.length], k: 3 }) } : { name: "open", arguments: JSON.stringify({ doc_id: "lem" }) };
  return { content: "", tool_calls: [{ id: `call_${actions}`, ...call }] };
}

const tokenizer = await resolveTokenizer("qwen3");
const withIds = withTokenIds(tokenizer);
/** Replies by request messages: computed (chat template, token ids) once, then answered at once. */
const replies = new Map<string, string>();
const bodies: string[] = [];
const server = await startOpenAIServer(
  (req) => {
    const body = req.body as Body;
    const key = JSON.stringify(body.messages);
    let reply = replies.get(key);
    if (reply === undefined) {
      reply = JSON.stringify(withIds(body, { type: "answer", ...policy(body) }));
      replies.set(key, reply);
      bodies.push(JSON.stringify(body));
    }
    return JSON.parse(reply) as Answer;
  },
  { record: false },
);

const settings: EpisodeSettings = {
  model: "policy",
  maxSteps: 100,
  maxTokens: 256,
  temperature: 1,
  topP: 1,
  tokenIds: true,
  protocol: nativeProtocol,
  // a window that fills about twice per episode
  context: { kind: "supo", window: 2300, ratio: 0.95, maxSummaries: 4, summaryMaxTokens: 128, summaryPrompt: SUPO_SUMMARY_PROMPT, continuation: CONTINUATION, maxSummaryChars: 6000, keepObservations: 5, placeholder: OBSERVATION_PLACEHOLDER },
};

/** A client and environment that add up the time spent inside them. */
function timed(client: LlmClient, env: Environment, clock: { model: number; tools: number }): { client: LlmClient; env: Environment } {
  const timedClient: LlmClient = {
    async chat(request, options) {
      const start = performance.now();
      try {
        return await client.chat(request, options);
      } finally {
        clock.model += performance.now() - start;
      }
    },
    stats: () => client.stats(),
    close: () => client.close(),
  };
  const timedEnv: Environment = Object.create(env) as Environment;
  timedEnv.open = async (task) => {
    const session = await env.open(task);
    const wrapped: EnvSession = {
      async call(name, args) {
        const start = performance.now();
        try {
          return await session.call(name, args);
        } finally {
          clock.tools += performance.now() - start;
        }
      },
      reward: (final) => session.reward(final),
      close: () => session.close(),
    };
    return wrapped;
  };
  return { client: timedClient, env: timedEnv };
}

async function loopOverhead(): Promise<{ perStepMs: number; steps: number; modelMs: number; toolMs: number; wallMs: number; summaries: number }> {
  const env = await createEnvironment({ kind: "search", path: CORPUS });
  const clock = { model: 0, tools: 0 };
  const raw = createClient({ endpoint: server.url, concurrency: 1 });
  const { client, env: timedEnv } = timed(raw, env, clock);
  const tools = nativeProtocol.requestTools(env.tools);
  const text = new ChatTemplateText(tokenizer, { ...(tools ? { tools } : {}) });
  const deps = { env: timedEnv, policy: new Policy(client, settings, tokenizer, text, env.tools, settings.context.window), manager: contextManager(settings.context), settings };
  const task = { id: "solaris", question: QUESTION, answer: "1921" };
  const run = (i: number) => runEpisode({ ...deps, predictor: new PromptPredictor(text, tokenizer) }, { task, groupId: task.id, sampleIndex: i, seed: i });
  await run(0); // warm-up: fills the server's replies and the template memos
  clock.model = 0;
  clock.tools = 0;
  let steps = 0;
  let summaries = 0;
  const start = performance.now();
  for (let i = 1; i <= EPISODES; i++) {
    const output = await run(i);
    if (output.episode.stop_reason !== "final" || output.episode.reward !== 1) throw new Error(`bench episode ended ${output.episode.stop_reason}`);
    steps += output.episode.counts.steps;
    summaries += output.episode.counts.summaries;
  }
  const wallMs = performance.now() - start;
  await raw.close();
  await env.close();
  return { perStepMs: (wallMs - clock.model - clock.tools) / steps, steps: steps / EPISODES, modelMs: clock.model / steps, toolMs: clock.tools / steps, wallMs, summaries: summaries / EPISODES };
}


/** Episodes/s of the runner once it is going (from its first written group to its last), and its start-up time. */
async function runnerThroughput(episodes: number): Promise<{ episodesPerSecond: number; stepsPerEpisode: number; startupSeconds: number }> {
  const groupSize = 8;
  const tasks = join(work, "tasks.jsonl");
  const groups = Math.ceil(episodes / groupSize);
  writeFileSync(tasks, Array.from({ length: groups }, (_, i) => `${JSON.stringify({ id: `solaris-${i}`, question: QUESTION, answer: "1921" })}\n`).join(""));
  const start = performance.now();
  let first = 0;
  let last = 0;
  const stats = await rolloutRun({
    tasks,
    outDir: join(work, `out-${episodes}`),
    env: { kind: "search", path: CORPUS },
    envSettings: DEFAULT_ENV_SETTINGS,
    client: { endpoint: server.url, concurrency: IN_FLIGHT },
    episode: { ...settings, protocol: "native" },
    groupSize,
    seed: 0,
    tokenizer: "qwen3",
    concurrency: IN_FLIGHT,
    onProgress: (done) => {
      if (done === 1) first = performance.now();
      last = performance.now();
    },
  });
  if (stats.data.successes !== stats.data.episodes) throw new Error("bench episodes failed");
  const seconds = (last - first) / 1000;
  return { episodesPerSecond: (stats.data.episodes - groupSize) / seconds, stepsPerEpisode: stats.data.steps / stats.data.episodes, startupSeconds: (first - start) / 1000 };
}

try {
  const overhead = await loopOverhead();
  console.log(`loop overhead (${EPISODES} episodes one at a time, ${overhead.steps.toFixed(1)} LLM calls and ${overhead.summaries.toFixed(1)} summaries each):`);
  console.log(`  ${overhead.perStepMs.toFixed(3)} ms per step without model and tool time (target < 1 ms): ${overhead.perStepMs < 1 ? "met" : "NOT met"}`);
  console.log(`  (per step: model ${overhead.modelMs.toFixed(3)} ms, tools ${overhead.toolMs.toFixed(3)} ms; wall ${(overhead.wallMs / 1000).toFixed(2)} s)`);

  await runnerThroughput(IN_FLIGHT); // warm-up
  const runner = await runnerThroughput(EPISODES * 4);
  const capacity = await rawLoad(server.url, bodies, IN_FLIGHT, Math.round(runner.stepsPerEpisode * EPISODES * 4));
  const ideal = capacity / runner.stepsPerEpisode;
  console.log(`throughput at ${IN_FLIGHT} episodes in flight:`);
  console.log(`  server raw capacity ${capacity.toFixed(0)} requests/s = ${ideal.toFixed(1)} episodes/s at ${runner.stepsPerEpisode.toFixed(1)} calls each`);
  console.log(`  acc rollout ${runner.episodesPerSecond.toFixed(1)} episodes/s = ${(runner.episodesPerSecond / ideal).toFixed(2)}× the server's raw capacity`);
  console.log(`  (from its first group written to its last; before that ${runner.startupSeconds.toFixed(2)} s: tokenizer, index, the first group)`);
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
