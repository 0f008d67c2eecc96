import type { ToolSpec } from "../envs/types.js";
import { AccError } from "../errors/acc-error.js";
import type { ChatMessage, ChatRequest, ChatResult, LlmClient } from "../llm/types.js";
import type { StepKind, Violation } from "../records/rollout.js";
import type { Tokenizer } from "../tokenize/types.js";
import { startsWith } from "./prompt.js";
import type { Action } from "./protocol.js";
import type { ChatTemplateText } from "./template.js";
import type { EpisodeSettings } from "./types.js";
import type { ErrorCode } from "../errors/codes.js";

/** A step whose data cannot be trained on (logprobs that do not match the ids, an empty completion). */
export class InvariantError extends AccError {
  protected override defaultCode(): ErrorCode {
    return "server-broke-protocol";
  }
  override name = "InvariantError";
}

/** The previous kept step of a segment: the next prompt should extend its prompt and completion. */
export interface Kept {
  promptIds: readonly number[];
  completionIds: readonly number[];
}

export interface PolicyCall {
  view: readonly ChatMessage[];
  /** The predicted prompt ids (the window check used their length). */
  predicted: readonly number[];
  maxTokens: number;
  kind: StepKind;
  kept: Kept | undefined;
  step: number;
}

export interface PolicyReply {
  result: ChatResult;
  action: Action;
  /** The reply as a conversation message. */
  assistant: ChatMessage;
  promptIds: number[];
  completionIds: number[];
  /** Server ids, or ids from the tokenizer. */
  tokenSource: "server" | "tokenizer";
  /** The server's prompt count (ids, else usage), else the prediction. */
  promptTokens: number;
  /** Whether the prompt extends the kept step (else it starts a new training row). */
  extendsKept: boolean;
  logprobs: number[] | null;
  violations: Violation[];
}

/**
 * The policy: one chat call per step, with the exact token ids of its prompt and completion (the server's
 * when it returns them, else the local tokenizer's) and the invariants checked on them.
 */
export class Policy {
  private readonly tools: unknown[] | undefined;

  constructor(
    private readonly client: LlmClient,
    private readonly settings: EpisodeSettings,
    private readonly tokenizer: Tokenizer,
    private readonly text: ChatTemplateText,
    envTools: readonly ToolSpec[],
    private readonly window: number,
  ) {
    this.tools = settings.protocol.requestTools(envTools);
  }

  async call(call: PolicyCall, seed: number): Promise<PolicyReply> {
    if (call.predicted.length + call.maxTokens > this.window) {
      throw new InvariantError(`a prompt of ${call.predicted.length} tokens with max_tokens ${call.maxTokens} would pass the window of ${this.window}`);
    }
    const result = await this.client.chat(this.request(call, seed));
    const action = this.settings.protocol.parse(result, call.step);
    const assistant = this.settings.protocol.assistantMessage(result, action);
    const server = result.prompt_token_ids !== undefined && result.completion_token_ids !== undefined;
    const promptIds = server ? result.prompt_token_ids! : [...call.predicted];
    const completionIds = server ? result.completion_token_ids! : this.tokenizer.encode(this.text.assistantTurn(assistant));
    const violations: Violation[] = [];

    if (completionIds.length === 0) throw new InvariantError(`step ${call.step}: the server returned an empty completion`);
    const logprobs = server && result.logprobs ? result.logprobs : null;
    if (logprobs && logprobs.length !== completionIds.length) {
      throw new InvariantError(`step ${call.step}: ${logprobs.length} logprobs for ${completionIds.length} completion tokens`);
    }
    const reported = server ? promptIds.length : (result.usage?.prompt_tokens ?? call.predicted.length);
    if (server ? !sameIds(promptIds, call.predicted) : reported !== call.predicted.length) violations.push("prediction");
    if (reported + call.maxTokens > this.window) violations.push("window");
    const extendsKept = call.kept !== undefined && startsWith(promptIds, call.kept.promptIds, call.kept.completionIds);
    if (call.kept !== undefined && !extendsKept) violations.push("prefix");
    return { result, action, assistant, promptIds, completionIds, tokenSource: server ? "server" : "tokenizer", promptTokens: reported, extendsKept, logprobs, violations };
  }

  private request(call: PolicyCall, seed: number): ChatRequest {
    const request: ChatRequest = {
      model: this.settings.model,
      messages: call.view as ChatMessage[],
      max_tokens: call.maxTokens,
      temperature: this.settings.temperature,
      top_p: this.settings.topP,
      seed,
    };
    // the summary turn offers the tools too: without them the template would render another system prompt
    // and the summary's prompt would no longer extend the segment (the summary prompt asks for no calls)
    if (this.tools) request.tools = this.tools;
    const extra: Record<string, unknown> = {};
    if (this.settings.tokenIds) {
      request.logprobs = true;
      extra["return_token_ids"] = true;
    }
    if (this.settings.thinking !== undefined) extra["chat_template_kwargs"] = { enable_thinking: this.settings.thinking };
    if (Object.keys(extra).length > 0) request.extra_body = extra;
    return request;
  }
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && startsWith(a, b);
}
