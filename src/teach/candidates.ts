import { type ChatMessage, type ChatRequest, type ChatResult, type LlmClient, LlmError } from "../llm/types.js";
import type { Sample } from "../records/sample.js";
import type { Domain } from "../records/trajectory.js";
import { type Reference, referenceName, type Verifiers, type Verdict } from "../verify/index.js";
import { type ParsedReply, parseTeacherReply } from "./parse.js";
import { teacherMessages } from "./prompt.js";

export interface TeachSetup {
  model: string;
  /** Candidates asked per sample at most. */
  candidates: number;
  /** Sent only when given (the server's default otherwise). */
  temperature?: number;
  maxTokens?: number;
  /** Seeds every request: candidate k of a sample always sends the same seed, so reruns hit the cache. */
  seed: number;
  /** Keep every verified candidate (ids `<sample id>-c<k>`) instead of stopping at the first. */
  keepAll: boolean;
  /** Extra request fields (e.g. vLLM's chat_template_kwargs). */
  extraBody?: Record<string, unknown>;
}

/** A candidate that did not pass, with the verifier's (or the parser's, or the client's) reason. */
export interface CandidateReject {
  sample_id: string;
  trajectory_id: string;
  domain: Domain;
  candidate: number;
  seed: number;
  reason: string;
  detail: string;
  score?: number;
  answer: string | null;
  reasoning: string | null;
  content: string | null;
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
}

/** How one input sample ended: kept (with the candidates kept) or rejected, always with a reason. */
export interface SampleOutcome {
  sample_id: string;
  domain: Domain;
  line: number;
  outcome: "kept" | "rejected";
  /**
   * kept: the first kept candidate's verdict; rejected: unverifiable, request-failed or context-length (every
   * request failed so, the latter when the server refused the prompt as longer than its context window) or
   * no-verified-candidate.
   */
  reason: string;
  detail: string;
  /** What answers were checked against (qa:ground_truth, qa:agent_final, sql, patch-tests, patch-gold); null when unverifiable. */
  reference: string | null;
  candidates: number;
  kept: number[];
  prompt_tokens: number;
  completion_tokens: number;
}

export interface TaughtSample {
  kept: Sample[];
  rejects: CandidateReject[];
  outcome: SampleOutcome;
}

/**
 * The seed of candidate k of a sample: FNV-1a (32-bit, then mixed) of the run seed, the sample id and
 * k, as a non-negative 31-bit integer. Only spread and stability matter here, not secrecy.
 */
export function candidateSeed(seed: number, sampleId: string, k: number): number {
  const text = `${seed}\u0000${sampleId}\u0000${k}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // murmur3's finaliser: FNV alone leaves the low bits of k = 0, 1, 2, 3 in a fixed pattern
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 1;
}

/**
 * Asks the teacher for up to `candidates` answers to one sample, one after another, verifying each,
 * until one passes (or all are asked, with keepAll). A request that fails after the client's retries
 * rejects that candidate (`request-failed`); one the server refused as longer than its context window
 * rejects the sample (`context-length`: the other candidates share the prompt); an open circuit breaker or
 * an abort stops the run instead (thrown), so a rerun resumes rather than rejecting every remaining sample.
 */
export function teachSample(sample: Sample, line: number, client: LlmClient, verifiers: Verifiers, setup: TeachSetup): Promise<TaughtSample> {
  const outcome: SampleOutcome = {
    sample_id: sample.id,
    domain: sample.meta.domain,
    line,
    outcome: "rejected",
    reason: "",
    detail: "",
    reference: null,
    candidates: 0,
    kept: [],
    prompt_tokens: 0,
    completion_tokens: 0,
  };
  const reference = verifiers.referenceOf(sample);
  if ("unverifiable" in reference) {
    outcome.reason = "unverifiable";
    outcome.detail = reference.unverifiable;
    return Promise.resolve({ kept: [], rejects: [], outcome });
  }
  outcome.reference = referenceName(reference);
  try {
    return Promise.resolve(new Teaching(sample, client, verifiers, setup, reference, outcome).ask());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * One sample's candidates, asked one after another through a promise chain of methods shared by every
 * sample: an async function's suspended frame (and a closure per candidate) would be held by each of the
 * samples in flight for its whole round trip, and copied by every young-generation collection meanwhile.
 */
class Teaching {
  private readonly messages: ChatMessage[];
  private readonly kept: Sample[] = [];
  private readonly rejects: CandidateReject[] = [];
  private keptVerdict: Verdict | undefined;
  /** The candidate asked, its seed, and its answer once it has one. */
  private k = -1;
  private seed = 0;
  private result: ChatResult | undefined;
  private parsed: { answer: string; reasoning: string | null } | undefined;

  constructor(
    private readonly sample: Sample,
    private readonly client: LlmClient,
    private readonly verifiers: Verifiers,
    private readonly setup: TeachSetup,
    private readonly reference: Reference,
    private readonly outcome: SampleOutcome,
  ) {
    this.messages = teacherMessages(sample);
  }

  /** Asks the next candidate, or ends when every candidate has been asked. */
  ask(): Promise<TaughtSample> | TaughtSample {
    if (++this.k >= this.setup.candidates) return this.end();
    this.seed = candidateSeed(this.setup.seed, this.sample.id, this.k);
    this.result = undefined;
    this.parsed = undefined;
    this.outcome.candidates++;
    return attempt(() => this.client.chat(request(this.setup, this.messages, this.seed))).then(this.answered, this.refused);
  }

  private readonly refused = (error: unknown): Promise<TaughtSample> | TaughtSample => {
    const reason = requestFailureReason(error, "request-failed");
    this.reject({ reason, detail: requestFailure(error) });
    // the prompt is the same for every candidate: the server would refuse them all
    return reason === "context-length" ? this.end() : this.ask();
  };

  private readonly answered = (result: ChatResult): Promise<TaughtSample> | TaughtSample => {
    const { outcome } = this;
    outcome.prompt_tokens += result.usage?.prompt_tokens ?? 0;
    outcome.completion_tokens += result.usage?.completion_tokens ?? 0;
    this.result = result;
    const parsed: ParsedReply = parseTeacherReply(result, this.sample.meta.domain);
    if (!parsed.ok) {
      this.reject({ reason: parsed.reason, detail: parsed.detail });
      return this.ask();
    }
    this.parsed = { answer: parsed.candidate.answer, reasoning: parsed.reasoning };
    return attempt(() => this.verifiers.verify(this.sample, this.reference, parsed.candidate)).then(this.verified, this.unverified);
  };

  private readonly unverified = (error: unknown): Promise<TaughtSample> | TaughtSample => {
    this.reject({ reason: requestFailureReason(error, "judge-request-failed"), detail: requestFailure(error) });
    return this.ask();
  };

  private readonly verified = (verdict: Verdict): Promise<TaughtSample> | TaughtSample => {
    if (!verdict.pass) {
      this.reject(verdict);
      return this.ask();
    }
    const { sample, setup } = this;
    const { answer, reasoning } = this.parsed!;
    this.keptVerdict ??= verdict;
    this.outcome.kept.push(this.k);
    this.kept.push(taught(sample, answer, reasoning, setup.keepAll ? `${sample.id}-c${this.k}` : sample.id));
    return setup.keepAll ? this.ask() : this.end();
  };

  /** Rejects the candidate asked, with its answer as far as it got (the reply, then the parsed answer). */
  private reject(verdict: Pick<Verdict, "reason" | "detail" | "score">): void {
    const { sample, result, parsed } = this;
    this.rejects.push({
      sample_id: sample.id,
      trajectory_id: sample.meta.trajectory_id,
      domain: sample.meta.domain,
      candidate: this.k,
      seed: this.seed,
      reason: verdict.reason,
      detail: verdict.detail,
      ...(verdict.score === undefined ? {} : { score: verdict.score }),
      answer: parsed?.answer ?? null,
      reasoning: parsed ? parsed.reasoning : (result?.reasoning ?? null),
      content: result?.content ?? null,
      finish_reason: result?.finish_reason ?? null,
      usage: result?.usage ? { prompt_tokens: result.usage.prompt_tokens, completion_tokens: result.usage.completion_tokens } : null,
    });
  }

  private end(): TaughtSample {
    const { kept, rejects, outcome, keptVerdict } = this;
    // the outcome is completed in place (its fields keep their order): a spread copy per sample cost more
    if (keptVerdict) {
      outcome.outcome = "kept";
      outcome.reason = keptVerdict.reason;
      outcome.detail = `candidate ${outcome.kept[0]}: ${keptVerdict.detail}`;
      return { kept, rejects, outcome };
    }
    const counts = new Map<string, number>();
    for (const r of rejects) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
    const summary = [...counts].map(([reason, n]) => `${reason}×${n}`).join(", ");
    // every candidate refused for one request-level reason: the sample is rejected for that reason
    const only = counts.size === 1 ? [...counts.keys()][0]! : undefined;
    const reason = only !== undefined && REQUEST_REASONS.has(only) ? only : "no-verified-candidate";
    outcome.reason = reason;
    outcome.detail = `${rejects.length} candidates: ${summary}`;
    return { kept, rejects, outcome };
  }
}

/** `call`'s promise, or a rejected one when it throws instead (a client or verifier of the caller's may), as an await would see it. */
function attempt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function request(setup: TeachSetup, messages: ChatRequest["messages"], seed: number): ChatRequest {
  const body: ChatRequest = { model: setup.model, messages, seed };
  if (setup.temperature !== undefined) body.temperature = setup.temperature;
  if (setup.maxTokens !== undefined) body.max_tokens = setup.maxTokens;
  if (setup.extraBody !== undefined) body.extra_body = setup.extraBody;
  return body;
}

/** Reasons of candidates that got no answer to verify. */
export const REQUEST_REASONS = new Set(["request-failed", "context-length"]);

/**
 * A teacher request refused as longer than the model's context window is `context-length` (the prompt is
 * the sample's, so every candidate of that sample will be refused the same way); any other is `fallback`.
 */
function requestFailureReason(error: unknown, fallback: string): string {
  return error instanceof LlmError && error.code === "context-length" ? (fallback === "request-failed" ? "context-length" : "judge-context-length") : fallback;
}

/** An LlmError becomes a reason; an open circuit, an abort or any other error stops the run. */
function requestFailure(error: unknown): string {
  if (!(error instanceof LlmError) || error.code === "circuit-open" || error.code === "aborted") throw error;
  return error.message;
}

/** The sample with the teacher's answer and reasoning as its target and assistant message. */
function taught(sample: Sample, answer: string, reasoning: string | null, id: string): Sample {
  const assistant = { role: "assistant" as const, content: answer, reasoning };
  const messages = sample.messages.filter((m) => m.role !== "assistant");
  return {
    ...sample,
    id,
    messages: [...messages, assistant],
    target: { answer, reasoning, answer_origin: "teacher", reasoning_origin: reasoning === null ? "none" : "teacher" },
  };
}
