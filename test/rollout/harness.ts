// Shared setup of the rollout tests: the bundled tokenizer, a local server that answers like vLLM with
// token ids, and episodes run against a real environment.
import { createEnvironment } from "../../src/envs/index.js";
import type { Environment } from "../../src/envs/types.js";
import { createClient } from "../../src/llm/client.js";
import type { LlmClient } from "../../src/llm/types.js";
import type { RolloutTask } from "../../src/records/rollout.js";
import { CONTINUATION, contextManager, EXTERNAL_SUMMARY_PROMPT, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } from "../../src/rollout/context.js";
import { type EpisodeOutput, runEpisode } from "../../src/rollout/episode.js";
import { Policy } from "../../src/rollout/policy.js";
import { PromptPredictor } from "../../src/rollout/prompt.js";
import { nativeProtocol } from "../../src/rollout/protocol.js";
import { episodeSeed } from "../../src/rollout/run.js";
import { ChatTemplateText } from "../../src/rollout/template.js";
import type { ContextSettings, EpisodeSettings } from "../../src/rollout/types.js";
import { type Answer, type OpenAIServer, type RecordedRequest, startOpenAIServer } from "../../src/testing/openai-server.js";
import type { Reply } from "../../src/testing/replies.js";
import { withTokenIds } from "../../src/testing/token-ids.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";
import type { Tokenizer } from "../../src/tokenize/types.js";
import { buildExamples } from "../helpers/examples.js";

let tokenizer: Promise<Tokenizer> | undefined;
export const qwen3 = () => (tokenizer ??= resolveTokenizer("qwen3"));

let examples: { db: string; repo: string } | undefined;
export const exampleData = () => (examples ??= buildExamples());

export interface ChatBody {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string; name?: string }[];
  tools?: unknown[];
  seed: number;
  max_tokens: number;
  return_token_ids?: boolean;
}

/** What a scripted policy returns for one request (now or later): an answer (token ids are added), or any other reply. */
export type PolicyScript = (body: ChatBody, index: number) => Omit<Answer, "type"> | Reply | Promise<Omit<Answer, "type"> | Reply>;

/** A local server answering like vLLM with return_token_ids (prompt ids from the chat template, completion ids, logprobs). */
export async function policyServer(script: PolicyScript): Promise<OpenAIServer> {
  const ids = withTokenIds(await qwen3());
  return startOpenAIServer(async (request: RecordedRequest, index: number) => {
    const body = request.body as ChatBody;
    const reply = await script(body, index);
    if ("type" in reply && reply.type !== "answer") return reply;
    return ids(body, { ...(reply as Omit<Answer, "type">), type: "answer" });
  });
}

export const isSummaryRequest = (body: ChatBody) => body.messages.at(-1)?.content === SUPO_SUMMARY_PROMPT;
/** Assistant turns in the request (the agent's actions so far in this segment). */
export const turns = (body: ChatBody) => body.messages.filter((m) => m.role === "assistant").length;
export const runSql = (sql: string, id = "call") => ({ content: "", tool_calls: [{ id, name: "run_sql", arguments: JSON.stringify({ sql }) }] });

export function contextSettings(overrides: Partial<ContextSettings> = {}): ContextSettings {
  return {
    kind: "supo",
    window: 100_000,
    ratio: 0.95,
    maxSummaries: 2,
    summaryMaxTokens: 64,
    summaryPrompt: overrides.kind === "external" ? EXTERNAL_SUMMARY_PROMPT : SUPO_SUMMARY_PROMPT,
    continuation: CONTINUATION,
    maxSummaryChars: 6000,
    keepObservations: 2,
    placeholder: OBSERVATION_PLACEHOLDER,
    ...overrides,
  };
}

export function episodeSettings(overrides: Partial<EpisodeSettings> = {}): EpisodeSettings {
  return { model: "policy", maxSteps: 30, maxTokens: 64, temperature: 1, topP: 1, tokenIds: true, protocol: nativeProtocol, context: contextSettings(), ...overrides };
}

export interface Harness {
  env: Environment;
  client: LlmClient;
  run(task: RolloutTask, sampleIndex?: number): Promise<EpisodeOutput>;
  close(): Promise<void>;
}

/** Runs single episodes of `settings` against `server` in the SQL environment over the example database. */
export async function sqlHarness(server: OpenAIServer, settings: EpisodeSettings, summarizer?: OpenAIServer): Promise<Harness> {
  const env = await createEnvironment({ kind: "sql", path: exampleData().db });
  return harness(env, server, settings, summarizer);
}

export async function harness(env: Environment, server: OpenAIServer, settings: EpisodeSettings, summarizer?: OpenAIServer): Promise<Harness> {
  const tok = await qwen3();
  const client = createClient({ endpoint: server.url, maxRetries: 0 });
  const summarizerClient = summarizer ? createClient({ endpoint: summarizer.url, maxRetries: 0 }) : undefined;
  const tools = settings.protocol.requestTools(env.tools);
  const text = new ChatTemplateText(tok, { ...(tools ? { tools } : {}), ...(settings.thinking !== undefined ? { enableThinking: settings.thinking } : {}) });
  const policy = new Policy(client, settings, tok, text, env.tools, settings.context.window);
  return {
    env,
    client,
    run: (task, sampleIndex = 0) =>
      runEpisode(
        {
          env,
          policy,
          predictor: new PromptPredictor(text, tok),
          manager: contextManager(settings.context),
          settings,
          ...(summarizerClient ? { summarizer: { client: summarizerClient, model: "summarizer" } } : {}),
        },
        { task, groupId: task.id, sampleIndex, seed: episodeSeed(0, task.id, sampleIndex) },
      ),
    async close() {
      await Promise.all([env.close(), client.close(), summarizerClient?.close()]);
    },
  };
}

export const BOOKS_TASK: RolloutTask = { id: "books", question: "How many books are in the catalogue?", gold_sql: "SELECT count(*) FROM books" };
