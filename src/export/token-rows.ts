import { isRecord } from "../json.js";
import type { Trajectory } from "../records/trajectory.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { SftConversation } from "./sft.js";
import { tokenizeConversation } from "./tokenized.js";

/** `recorded`: the ids the model saw and produced, from the log (ATIF step metrics); `tokenizer`: rendered and tokenized by acc. */
export type TokenSource = "recorded" | "tokenizer";

/**
 * One training sequence split the way RL trainers hold it: the prompt, then the response (every token
 * after it: completions, and tool results and template markers between them), with a mask of the
 * trained tokens and the sampling logprobs when the log has them.
 */
export interface TokenRow {
  prompt_ids: number[];
  response_ids: number[];
  /** 1 on trained tokens (the assistant turns the mask selects), 0 elsewhere. */
  response_mask: number[];
  /** One per response token (0 on untrained ones), or null when the log has none. */
  response_logprobs: number[] | null;
  /** Assistant turns in the response, and turns of tool results or user messages between them. */
  assistant_turns: number;
  other_turns: number;
  token_source: TokenSource;
}

export interface TokenRows {
  rows: TokenRow[];
  source: TokenSource;
  /** Why recorded ids were not used although the log has some (absent when it has none, or they were used). */
  fallback?: string;
}

interface RecordedStep {
  prompt: readonly number[];
  completion: readonly number[];
  logprobs: readonly number[] | null;
}

/**
 * The rows of a trajectory: from the token ids the log recorded for every assistant turn (ATIF
 * `prompt_token_ids` and `completion_token_ids`) when it has them all, so nothing is re-tokenised; else
 * rendered with the tokenizer's chat template (`tokenizeConversation`). Recorded turns form one row
 * while each turn's prompt extends the previous prompt and completion (the ids between are the tool
 * results and markers the context added, untrained); a prompt that does not extend it starts a new row.
 */
export function trajectoryTokenRows(t: Trajectory, conversation: SftConversation, tokenizer: Tokenizer): TokenRows {
  const recorded = recordedSteps(t);
  if (recorded.ok) return { rows: recordedRows(recorded.steps, conversation), source: "recorded" };
  const rows = tokenizeConversation(conversation, tokenizer).map((row) => {
    const start = row.loss_mask.indexOf(1);
    const from = row.trained[0] ?? 0;
    const turns = turnsIn(conversation, from, row.end);
    return {
      prompt_ids: row.input_ids.slice(0, start),
      response_ids: row.input_ids.slice(start),
      response_mask: row.loss_mask.slice(start),
      response_logprobs: null,
      ...turns,
      token_source: "tokenizer" as const,
    };
  });
  return { rows, source: "tokenizer", ...(recorded.reason !== undefined ? { fallback: recorded.reason } : {}) };
}

/** Per message: the recorded ids of assistant turns; `reason` when some assistant turns have them and others not. */
function recordedSteps(t: Trajectory): { ok: true; steps: (RecordedStep | undefined)[] } | { ok: false; reason?: string } {
  const steps: (RecordedStep | undefined)[] = [];
  let missing = 0;
  let present = 0;
  for (const m of t.messages) {
    if (m.role !== "assistant") {
      steps.push(undefined);
      continue;
    }
    const step = recordedStep(m.extra);
    if (step === undefined) missing++;
    else present++;
    steps.push(step);
  }
  if (present === 0) return { ok: false };
  if (missing > 0) return { ok: false, reason: `${missing} of ${missing + present} assistant turns have no recorded prompt_token_ids and completion_token_ids` };
  return { ok: true, steps };
}

function recordedStep(extra: Record<string, unknown> | undefined): RecordedStep | undefined {
  const metrics = isRecord(extra?.atif) && isRecord(extra.atif.metrics) ? extra.atif.metrics : undefined;
  if (metrics === undefined || !isIds(metrics.prompt_token_ids) || !isIds(metrics.completion_token_ids)) return undefined;
  const logprobs = Array.isArray(metrics.logprobs) && metrics.logprobs.length === metrics.completion_token_ids.length && metrics.logprobs.every((p) => typeof p === "number") ? (metrics.logprobs as number[]) : null;
  return { prompt: metrics.prompt_token_ids, completion: metrics.completion_token_ids, logprobs };
}

function isIds(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((id) => Number.isInteger(id) && id >= 0);
}

interface Draft extends TokenRow {
  /** The row's whole sequence, to test whether the next prompt extends it. */
  sequence: number[];
  trained: boolean;
  lastAssistant: number;
}

function recordedRows(steps: readonly (RecordedStep | undefined)[], conversation: SftConversation): TokenRow[] {
  const drafts: Draft[] = [];
  let row: Draft | undefined;
  const all = conversation.trainEverything;
  steps.forEach((step, i) => {
    if (step === undefined) return;
    const train = all || conversation.train[i]!;
    if (row === undefined || !startsWith(step.prompt, row.sequence)) {
      row = { prompt_ids: [...step.prompt], response_ids: [], response_mask: [], response_logprobs: [], assistant_turns: 0, other_turns: 0, token_source: "recorded", sequence: [...step.prompt], trained: false, lastAssistant: i };
      drafts.push(row);
    } else {
      const added = step.prompt.slice(row.sequence.length);
      push(row, added, all ? 1 : 0, null);
      row.other_turns += turnsIn(conversation, row.lastAssistant, i).other_turns;
    }
    push(row, step.completion, train ? 1 : 0, step.logprobs);
    row.assistant_turns++;
    row.lastAssistant = i;
    row.trained ||= train;
  });
  return drafts
    .filter((d) => d.trained)
    .map(({ sequence: _sequence, trained: _trained, lastAssistant: _last, ...row }) => row);
}

function push(row: Draft, ids: readonly number[], mask: number, logprobs: readonly number[] | null): void {
  for (const id of ids) {
    row.response_ids.push(id);
    row.response_mask.push(mask);
    row.sequence.push(id);
  }
  if (row.response_logprobs === null) return;
  // A trained completion without its sampling logprobs makes the row's null; other tokens get 0.
  if (mask === 1 && logprobs === null && ids.length > 0) row.response_logprobs = null;
  else for (let k = 0; k < ids.length; k++) row.response_logprobs.push(logprobs?.[k] ?? 0);
}

function startsWith(ids: readonly number[], prefix: readonly number[]): boolean {
  if (ids.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (ids[k] !== prefix[k]) return false;
  return true;
}

/**
 * Assistant turns in messages [from, end), and the turns between them as verl's tool agent loop counts
 * them: each run of tool results is one turn, each user message one.
 */
function turnsIn(conversation: SftConversation, from: number, end: number): { assistant_turns: number; other_turns: number } {
  let assistant = 0;
  let other = 0;
  for (let i = from; i < end; i++) {
    const role = conversation.messages[i]!.role;
    if (role === "assistant") assistant++;
    else if (role === "user" || (role === "tool" && conversation.messages[i - 1]?.role !== "tool")) other++;
  }
  return { assistant_turns: assistant, other_turns: other };
}
