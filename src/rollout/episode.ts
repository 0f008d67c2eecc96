import { AccError } from "../errors/acc-error.js";
import type { EnvSession, Environment, RewardOutcome, ToolResult } from "../envs/types.js";
import { type ChatMessage, type LlmClient, LlmError } from "../llm/types.js";
import { mapFinishReason } from "../llm/finish-reason.js";
import {
  type Episode,
  type EpisodeCounts,
  type OverlongReason,
  ROLLOUT_SCHEMA_VERSION,
  type RolloutSegment,
  type RolloutStep,
  type RolloutTask,
  type StepKind,
  type StopReason,
} from "../records/rollout.js";
import { InvariantError, type Kept, type Policy, type PolicyReply } from "./policy.js";
import type { PromptPredictor } from "./prompt.js";
import type { Call } from "./protocol.js";
import type { ContextManager, EpisodeControl, EpisodeSettings } from "./types.js";
import { UsageError } from "../errors/acc-error.js";
import type { ErrorCode } from "../errors/codes.js";

/** What an episode needs: the environment, the policy and how its context is managed. */
export interface EpisodeDeps {
  env: Environment;
  policy: Policy;
  predictor: PromptPredictor;
  manager: ContextManager;
  settings: EpisodeSettings;
  /** The external summarizer (context `external`). */
  summarizer?: { client: LlmClient; model: string };
}

export interface EpisodeInput {
  task: RolloutTask;
  groupId: string;
  sampleIndex: number;
  seed: number;
}

/** One entry of what happened, in order, for the exported trajectory. */
export type TranscriptEntry =
  /** `calls`: an assistant turn's parsed calls, or the calls an observation message answers (with `results`). */
  | { type: "message"; segment: number; message: ChatMessage; calls?: Call[]; results?: ToolResult[] }
  | { type: "summary"; segment: number; summary: string; promptTokens: number; by: "policy" | "external" };

export interface EpisodeOutput {
  /** The episode before group statistics: advantage 0, in_loss and in_baseline from its own outcome. */
  episode: Episode;
  steps: RolloutStep[];
  transcript: TranscriptEntry[];
  systemPrompt: string;
  /** The SQL or patch the reward was computed on. */
  submitted: { sql?: string; patch?: string };
}

interface Stop {
  reason: StopReason;
  answer?: string;
  error?: string;
}

/** Runs one episode: the agent loop over the environment, with the context manager deciding at every full window. */
export async function runEpisode(deps: EpisodeDeps, input: EpisodeInput): Promise<EpisodeOutput> {
  return new EpisodeRun(deps, input).run();
}

class EpisodeRun implements EpisodeControl {
  readonly settings: EpisodeSettings;
  private readonly id: string;
  private readonly systemPrompt: string;
  private readonly steps: RolloutStep[] = [];
  private readonly segments: RolloutSegment[] = [];
  private readonly transcript: TranscriptEntry[] = [];
  private messages: ChatMessage[] = [];
  private startLength = 0;
  private kept: Kept | undefined;
  private keptBefore: Kept | undefined;
  /** The prompt length that filled the window last (a summary event's tokens_before). */
  private fullAt = 0;
  summaries = 0;
  policySteps = 0;
  private readonly counts: EpisodeCounts = {
    steps: 0,
    action_steps: 0,
    summaries: 0,
    segments: 0,
    tool_calls: 0,
    tool_errors: 0,
    format_errors: 0,
    truncated_steps: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    summary_tokens: 0,
    trained_tokens: 0,
    prefix_breaks: 0,
    prediction_misses: 0,
  };

  constructor(
    private readonly deps: EpisodeDeps,
    private readonly input: EpisodeInput,
  ) {
    this.settings = deps.settings;
    this.id = `${input.task.id}#${input.sampleIndex}`;
    this.systemPrompt = this.settings.protocol.systemPrompt(input.task.system_prompt ?? deps.env.systemPrompt, deps.env.tools);
  }

  get hasTurns(): boolean {
    return this.messages.length > this.startLength;
  }

  async run(): Promise<EpisodeOutput> {
    this.openSegment(this.input.task.question, "task");
    const session = await this.deps.env.open(this.input.task);
    let stop: Stop;
    let outcome: RewardOutcome;
    try {
      try {
        stop = await this.loop(session);
      } catch (error) {
        if (!(error instanceof LlmError || error instanceof InvariantError || error instanceof ToolFailure)) throw error;
        // the server's window is smaller than --window: the context overflowed, as a `window` stop does
        stop =
          error instanceof LlmError && error.code === "context-length"
            ? { reason: "window", error: `the server refused the prompt as longer than its context window: ${error.message}` }
            : { reason: "error", error: error.message };
      }
      outcome =
        stop.answer !== undefined
          ? await session.reward({ answer: stop.answer })
          : { reward: 0, success: false, reason: stop.reason === "error" ? "error" : "overlong", detail: stop.error ?? `stopped at the ${stop.reason}` };
    } finally {
      await session.close();
    }
    this.segments.at(-1)!.end = stop.reason;
    const submitted: EpisodeOutput["submitted"] = {};
    if (outcome.submittedSql !== undefined) submitted.sql = outcome.submittedSql;
    if (outcome.submittedPatch !== undefined) submitted.patch = outcome.submittedPatch;
    return { episode: this.episode(stop, outcome), steps: this.steps, transcript: this.transcript, systemPrompt: this.systemPrompt, submitted };
  }

  private async loop(session: EnvSession): Promise<Stop> {
    const { context, maxTokens, maxSteps } = this.settings;
    const limit = this.deps.manager.limit(context.window);
    for (;;) {
      if (this.policySteps >= maxSteps) return { reason: "step-cap" };
      const view = this.deps.manager.view(this.messages);
      const predicted = this.deps.predictor.predict(view);
      if (predicted.length + maxTokens > limit) {
        this.fullAt = predicted.length;
        const next = await this.deps.manager.onFull(this);
        if (next !== "continue") return { reason: next };
        continue;
      }
      const reply = await this.callPolicy(view, predicted, maxTokens, "action");
      const action = reply.action;
      this.push(reply.assistant, action.kind === "tools" ? action.calls : undefined);
      if (action.kind === "final") return { reason: "final", answer: action.answer };
      if (action.kind === "invalid") {
        this.counts.format_errors++;
        this.push(this.settings.protocol.correction(action.reason));
        continue;
      }
      const results: ToolResult[] = [];
      let submitted: string | undefined;
      for (const call of action.calls) {
        this.counts.tool_calls++;
        const result: ToolResult =
          call.args === undefined
            ? { content: `${call.name || "tool call"}: ${call.error}`, isError: true }
            : this.deps.env.tools.some((tool) => tool.name === call.name)
              ? await callTool(session, call.name, call.args)
              : { content: `unknown tool ${JSON.stringify(call.name)}; the tools are ${this.deps.env.tools.map((t) => t.name).join(", ")}`, isError: true };
        if (result.isError) this.counts.tool_errors++;
        if (result.submitted !== undefined) submitted = result.submitted;
        results.push(result);
      }
      const observations = this.settings.protocol.observations(action.calls, results);
      if (observations.length === action.calls.length) observations.forEach((message, i) => this.push(message, [action.calls[i]!], [results[i]!]));
      else for (const message of observations) this.push(message, action.calls, results);
      if (submitted !== undefined) return { reason: "submit", answer: submitted };
    }
  }

  private async callPolicy(view: readonly ChatMessage[], predicted: readonly number[], maxTokens: number, kind: StepKind): Promise<PolicyReply> {
    const step = this.steps.length;
    const reply = await this.deps.policy.call({ view, predicted, maxTokens, kind, kept: this.kept, step }, this.input.seed);
    this.policySteps++;
    const kept = this.kept;
    const { result } = reply;
    this.record(kind, maxTokens, predicted.length, {
      prompt_tokens: reply.promptTokens,
      completion_tokens: reply.completionIds.length,
      token_source: reply.tokenSource,
      prompt_delta: reply.extendsKept,
      prompt_ids: reply.extendsKept ? reply.promptIds.slice(kept!.promptIds.length + kept!.completionIds.length) : reply.promptIds,
      completion_ids: reply.completionIds,
      logprobs: reply.logprobs,
      finish_reason: result.finish_reason,
      content: result.content,
      reasoning: result.reasoning,
      tool_calls: result.tool_calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
      violations: reply.violations,
    });
    this.deps.predictor.settle({ view, promptIds: reply.promptIds, completionIds: reply.completionIds, assistant: reply.assistant });
    this.keptBefore = kept;
    this.kept = { promptIds: reply.promptIds, completionIds: reply.completionIds };
    return reply;
  }

  private record(
    kind: StepKind,
    maxTokens: number,
    predicted: number,
    fields: Omit<RolloutStep, "schema" | "schema_version" | "episode_id" | "group_id" | "step_index" | "segment_index" | "kind" | "trained" | "dropped" | "max_tokens" | "predicted_prompt_tokens">,
  ): void {
    const segment = this.segments.at(-1)!;
    if (segment.steps === 0) segment.prompt_tokens = fields.prompt_tokens;
    segment.steps++;
    segment.completion_tokens += fields.completion_tokens;
    this.counts.steps++;
    if (kind === "action") this.counts.action_steps++;
    else segment.summary_tokens += fields.completion_tokens;
    this.counts.prompt_tokens += fields.prompt_tokens;
    this.counts.completion_tokens += fields.completion_tokens;
    if (mapFinishReason(fields.finish_reason) === "length") this.counts.truncated_steps++;
    if (fields.violations.includes("prefix")) this.counts.prefix_breaks++;
    if (fields.violations.includes("prediction")) this.counts.prediction_misses++;
    this.steps.push({
      schema: "acc.rollout-step",
      schema_version: ROLLOUT_SCHEMA_VERSION,
      episode_id: this.id,
      group_id: this.input.groupId,
      step_index: this.steps.length,
      segment_index: segment.index,
      kind,
      trained: kind !== "external-summary",
      dropped: false,
      max_tokens: maxTokens,
      predicted_prompt_tokens: predicted,
      ...fields,
    });
  }

  dropLastTurn(): void {
    let at = this.messages.length - 1;
    while (at >= this.startLength && this.messages[at]!.role !== "assistant") at--;
    this.messages.length = Math.max(at, this.startLength);
    const last = this.steps.findLast((s) => s.kind === "action")!;
    last.dropped = true;
    last.trained = false;
    this.kept = this.keptBefore;
  }

  async summarizeWithPolicy(): Promise<string | undefined> {
    const { context } = this.settings;
    const view = [...this.messages, { role: "user" as const, content: context.summaryPrompt }];
    const predicted = this.deps.predictor.predict(view);
    const maxTokens = Math.min(context.summaryMaxTokens, context.window - predicted.length);
    if (maxTokens < 1) return undefined;
    const reply = await this.callPolicy(view, predicted, maxTokens, "summary");
    this.summaries++;
    this.counts.summaries++;
    this.counts.summary_tokens += reply.completionIds.length;
    const summary = extractSummary(reply.result.content ?? "", context.maxSummaryChars);
    this.transcript.push({ type: "summary", segment: this.segments.at(-1)!.index, summary, promptTokens: this.fullAt, by: "policy" });
    return summary;
  }

  async summarizeExternally(): Promise<string> {
    const summarizer = this.deps.summarizer;
    if (!summarizer) throw new UsageError("the external context manager needs a summarizer", { fix: "give the summarizer's endpoint and model with the external context manager" });
    const { context } = this.settings;
    const result = await summarizer.client.chat({
      model: summarizer.model,
      messages: [
        { role: "system", content: context.summaryPrompt },
        { role: "user", content: transcriptText(this.input.task.question, this.messages.slice(this.startLength)) },
      ],
      max_tokens: context.summaryMaxTokens,
      temperature: this.settings.temperature,
      top_p: this.settings.topP,
      seed: this.input.seed,
    });
    const completion = result.completion_token_ids ?? [];
    const completionTokens = result.usage?.completion_tokens ?? completion.length;
    this.record("external-summary", context.summaryMaxTokens, 0, {
      prompt_tokens: result.prompt_token_ids?.length ?? result.usage?.prompt_tokens ?? 0,
      completion_tokens: completionTokens,
      token_source: result.completion_token_ids ? "server" : "tokenizer",
      prompt_delta: false,
      prompt_ids: result.prompt_token_ids ?? [],
      completion_ids: completion,
      logprobs: null,
      finish_reason: result.finish_reason,
      content: result.content,
      reasoning: result.reasoning,
      tool_calls: [],
      violations: [],
    });
    this.summaries++;
    this.counts.summaries++;
    this.counts.summary_tokens += completionTokens;
    const summary = extractSummary(result.content ?? "", context.maxSummaryChars);
    this.transcript.push({ type: "summary", segment: this.segments.at(-1)!.index, summary, promptTokens: this.fullAt, by: "external" });
    return summary;
  }

  startSegment(summary: string): void {
    const closing = this.segments.at(-1)!;
    closing.end = "summary";
    closing.summary = summary;
    this.openSegment(this.input.task.question + this.settings.context.continuation.replaceAll("{summary}", summary), "summary");
  }

  private openSegment(userText: string, start: "task" | "summary"): void {
    const index = this.segments.length;
    this.segments.push({ index, start, end: "error", first_step: this.steps.length, steps: 0, prompt_tokens: 0, completion_tokens: 0, summary_tokens: 0, summary: null });
    this.messages = [frozen({ role: "system", content: this.systemPrompt }), frozen({ role: "user", content: userText })];
    this.startLength = this.messages.length;
    if (start === "summary") this.transcript.push({ type: "message", segment: index, message: this.messages[1]! });
    this.deps.predictor.reset();
    this.kept = undefined;
    this.keptBefore = undefined;
  }

  private push(message: ChatMessage, calls?: Call[], results?: ToolResult[]): void {
    this.messages.push(frozen(message));
    const entry: TranscriptEntry = { type: "message", segment: this.segments.at(-1)!.index, message };
    if (calls !== undefined) entry.calls = calls;
    if (results !== undefined) entry.results = results;
    this.transcript.push(entry);
  }

  private episode(stop: Stop, outcome: RewardOutcome): Episode {
    const overlong: OverlongReason | null = stop.reason === "step-cap" || stop.reason === "summary-cap" || stop.reason === "window" ? stop.reason : null;
    const finished = stop.reason === "final" || stop.reason === "submit";
    this.counts.segments = this.segments.length;
    this.counts.trained_tokens = this.steps.reduce((n, s) => n + (s.trained ? s.completion_ids.length : 0), 0);
    return {
      schema: "acc.episode",
      schema_version: ROLLOUT_SCHEMA_VERSION,
      id: this.id,
      group_id: this.input.groupId,
      task_id: this.input.task.id,
      sample_index: this.input.sampleIndex,
      env: this.deps.env.name,
      context: this.settings.context.kind,
      model: this.settings.model,
      seed: this.input.seed,
      finished,
      stop_reason: stop.reason,
      overlong: overlong !== null,
      overlong_reason: overlong,
      error: stop.error ?? null,
      final_answer: stop.answer ?? null,
      reward: outcome.reward,
      success: outcome.success,
      verdict: { reason: outcome.reason, detail: outcome.detail },
      advantage: 0,
      in_baseline: stop.reason !== "error",
      in_loss: finished,
      counts: this.counts,
      segments: this.segments,
    };
  }
}

/** A tool that threw instead of returning an error result: the environment failed, not the agent. */
export class ToolFailure extends AccError {
  protected override defaultCode(): ErrorCode {
    return "tool-failed";
  }
  override name = "ToolFailure";
}

async function callTool(session: EnvSession, name: string, args: Record<string, unknown>) {
  try {
    return await session.call(name, args);
  } catch (error) {
    throw new ToolFailure(`tool ${name} failed: ${(error as Error).message}`);
  }
}

/**
 * A message of the conversation, frozen through: the history is sent again at every step, and the client
 * reuses the JSON of frozen messages (src/llm/body.ts) instead of serialising the whole history each time.
 */
function frozen(message: ChatMessage): ChatMessage {
  if (message.tool_calls) {
    for (const call of message.tool_calls) Object.freeze(Object.freeze(call).function);
    Object.freeze(message.tool_calls);
  }
  return Object.freeze(message);
}

const SUMMARY = /<summary>([\s\S]*?)<\/summary>/g;

/** The last `<summary>…</summary>` of a reply; without tags, the reply itself up to `maxChars`. */
export function extractSummary(content: string, maxChars: number): string {
  const tagged = [...content.matchAll(SUMMARY)].at(-1);
  if (tagged) return tagged[1]!.trim();
  const open = content.lastIndexOf("<summary>");
  const text = (open === -1 ? content : content.slice(open + "<summary>".length)).trim();
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}

/** A segment as plain text for the external summarizer. */
function transcriptText(question: string, history: readonly ChatMessage[]): string {
  const lines = [`Task:\n${question}`];
  for (const message of history) {
    if (message.role === "assistant") {
      const calls = (message.tool_calls ?? []).map((c) => `call ${c.function.name}(${c.function.arguments})`);
      lines.push(`Agent:\n${[message.content ?? "", ...calls].filter(Boolean).join("\n")}`);
    } else if (message.role === "tool") {
      lines.push(`Result of ${message.name ?? "tool"}:\n${message.content ?? ""}`);
    } else {
      lines.push(`${message.role === "user" ? "User" : "System"}:\n${message.content ?? ""}`);
    }
  }
  return lines.join("\n\n");
}
