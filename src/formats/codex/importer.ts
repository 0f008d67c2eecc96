import type { ImportWarning } from "../../records/import-warning.js";
import type { Task } from "../../records/trajectory.js";
import { ShapeError } from "../common/rows.js";
import { asString, isRecord, without } from "../common/text.js";
import { RolloutConversation } from "./items.js";
import { ENVELOPE_TYPES, isOlderMeta, readRolloutLine } from "./lines.js";
import type { DraftMessage, DropRule, ImportInput, ImportItem, Importer, JsonLine, Probe, TrajectoryDraft } from "../types.js";

const FORMAT = "codex";

/**
 * User messages Codex injects before the user's request: AGENTS.md and other instructions, the
 * environment block, shell-command echoes, abort notices.
 */
const INJECTED_PREFIXES = [
  "# AGENTS.md instructions",
  "<environment_context>",
  "<user_instructions>",
  "<INSTRUCTIONS>",
  "<permissions instructions>",
  "<user_shell_command>",
  "<turn_aborted>",
  "<skill>",
  "<collaboration_mode>",
];

/** Codex CLI rollouts (`~/.codex/sessions/…/rollout-*.jsonl`), both layouts: one file is one trajectory. */
export const codexImporter: Importer = {
  format: FORMAT,
  description: "Codex CLI rollout JSONL (session_meta, response_item, compacted; event_msg mirrors dropped; older envelope-less layout)",
  dropRules: [
    { path: "/timestamp", reason: "bookkeeping", note: "the time of lines that do not start a message (and of event_msg mirrors)" },
    { path: "/payload/status", reason: "bookkeeping", note: "an item's completion status" },
  ] satisfies DropRule[],
  detect(probe: Probe): number {
    if (probe.container !== "jsonl") return 0;
    const values = probe.head.flatMap((entry) => ("value" in entry && isRecord(entry.value) ? [entry.value] : []));
    const envelope = values.some(
      (v) => typeof v.timestamp === "string" && typeof v.type === "string" && ENVELOPE_TYPES.has(v.type) && isRecord(v.payload),
    );
    const older = (values[0] !== undefined && isOlderMeta(values[0])) || values.some((v) => v.record_type === "state");
    return envelope || older ? 0.9 : 0;
  },
  async *read(input: ImportInput): AsyncIterable<ImportItem> {
    if (input.container === "directory") return;
    if (input.container === "json") {
      yield { kind: "reject", locator: { json_pointer: "" }, scope: "record", code: "wrong-shape", reason: "a Codex rollout is JSONL, not one JSON document" };
      return;
    }
    const session = new RolloutSession();
    for await (const entry of input.lines) {
      const problem = session.add(entry);
      if (problem !== undefined) yield problem;
    }
    yield session.finish();
  },
};

/** The state of one rollout while its lines are read. */
class RolloutSession {
  private readonly conversation = new RolloutConversation();
  private meta: Record<string, unknown> | undefined;
  private turnContext: Record<string, unknown> | undefined;
  private model: string | undefined;
  private tokenUsage: unknown;
  private readonly skipped: Record<string, number> = {};
  private lastLine = 0;

  /** Takes one line; a damaged or unusable line comes back as a line reject. */
  add(entry: JsonLine): ImportItem | undefined {
    this.lastLine = entry.line;
    if ("error" in entry) return { kind: "reject", locator: { line: entry.line }, scope: "line", code: entry.error, reason: entry.detail };
    const problem = this.use(entry.value);
    return problem === undefined ? undefined : { kind: "reject", locator: { line: entry.line }, scope: "line", code: "wrong-shape", reason: problem };
  }

  /** Why a parsed line cannot be used, if it cannot. */
  private use(value: unknown): string | undefined {
    const read = readRolloutLine(value);
    switch (read.kind) {
      case "invalid":
        return read.reason;
      case "skip":
        this.count(read.label);
        return undefined;
      case "session_meta":
        if (this.meta !== undefined) this.count("session_meta");
        else this.startSession(read.payload);
        return undefined;
      case "turn_context":
        this.turnContext ??= read.payload;
        if (typeof read.payload.model === "string") {
          this.model ??= read.payload.model;
          this.conversation.setModel(read.payload.model);
        }
        this.count("turn_context");
        return undefined;
      case "event_msg":
        // The UI stream: user_message / agent_message / agent_reasoning repeat response items.
        if (read.payload.type === "token_count" && isRecord(read.payload.info)) this.tokenUsage = read.payload.info.total_token_usage;
        this.count(`event_msg:${String(read.payload.type)}`);
        return undefined;
      case "compacted":
        this.conversation.addCompaction(read.payload, read.timestamp);
        return undefined;
      case "response_item":
        try {
          this.conversation.addItem(read.payload, read.timestamp);
          return undefined;
        } catch (error) {
          if (error instanceof ShapeError) return `${String(read.payload.type)} item: ${error.message}`;
          throw error;
        }
    }
  }

  finish(): ImportItem {
    const conversation = this.conversation;
    conversation.finish();
    for (const [type, count] of Object.entries(conversation.skipped)) this.skipped[`response_item:${type}`] = count;
    const messages = conversation.messages;
    if (!messages.some((m) => m.role !== "system" || m.extra?.source !== "session_meta")) {
      const reason = `no conversation: no response items in ${this.lastLine} lines${this.meta === undefined ? " and no session_meta" : ""}`;
      return { kind: "reject", locator: {}, scope: "record", code: "wrong-shape", reason };
    }
    const model = asString(this.meta?.model) ?? this.model;
    for (const m of messages) if (m.role === "assistant" && m.model === model) delete m.model;
    const unknown = Object.entries(conversation.skipped).filter(([type]) => type.startsWith("unknown:"));
    const draft: TrajectoryDraft = {
      locator: { line: 1, line_end: Math.max(1, this.lastLine) },
      ...(typeof this.meta?.cli_version === "string" ? { format_version: this.meta.cli_version } : {}),
      ...(model !== undefined ? { model } : {}),
      task: this.task(messages),
      messages,
      final: finalAnswer(messages),
      events: conversation.events,
      warnings: unknown.map(([type, count]): ImportWarning => {
        const name = type.slice("unknown:".length);
        return { code: "unknown-type", message: `skipped ${count} response items of unknown type ${name}`, count, name };
      }),
      extra: this.extra(messages),
    };
    return { kind: "trajectory", draft };
  }

  private startSession(meta: Record<string, unknown>): void {
    this.meta = meta;
    const base = meta.base_instructions;
    const instructions = isRecord(base) && typeof base.text === "string" ? base.text : asString(meta.instructions);
    if (instructions !== undefined && instructions !== "") this.conversation.addSystemPrompt(instructions);
  }

  private task(messages: DraftMessage[]): Partial<Task> {
    const request = messages.find((m) => m.role === "user" && !INJECTED_PREFIXES.some((prefix) => m.content.trimStart().startsWith(prefix)));
    const git = isRecord(this.meta?.git) ? this.meta.git : {};
    const repo = {
      ...(typeof git.repository_url === "string" ? { url: git.repository_url } : {}),
      ...(typeof git.commit_hash === "string" ? { base_commit: git.commit_hash } : {}),
    };
    const system = messages.find((m) => m.role === "system");
    return {
      question: request?.content ?? null,
      question_origin: request ? "first_user_message" : "unknown",
      system_prompt: system?.content ?? null,
      ...(Object.keys(repo).length > 0 ? { repo } : {}),
    };
  }

  private extra(messages: DraftMessage[]): Record<string, unknown> {
    const meta = this.meta === undefined ? {} : without(this.meta, ["base_instructions", "instructions", "cli_version", "model"]);
    let turnContext = this.turnContext;
    // AGENTS.md text in the turn context repeats the injected user message; keep it once.
    const instructions = turnContext?.user_instructions;
    if (turnContext !== undefined && typeof instructions === "string" && messages.some((m) => typeof m.content === "string" && m.content.includes(instructions))) {
      turnContext = without(turnContext, ["user_instructions"]);
    }
    return {
      ...meta,
      ...(turnContext !== undefined ? { turn_context: turnContext } : {}),
      ...(this.tokenUsage !== undefined ? { token_usage: this.tokenUsage } : {}),
      skipped_lines: this.skipped,
    };
  }

  private count(label: string): void {
    this.skipped[label] = (this.skipped[label] ?? 0) + 1;
  }
}

/** The last assistant message in the `final_answer` phase, else the last assistant message without calls. */
function finalAnswer(messages: DraftMessage[]): TrajectoryDraft["final"] {
  const answers = messages.filter((m): m is Extract<DraftMessage, { role: "assistant" }> => m.role === "assistant" && m.content !== null);
  const final = answers.findLast((m) => m.extra?.phase === "final_answer") ?? answers.findLast((m) => m.tool_calls.length === 0);
  return final === undefined
    ? { answer: null, reasoning: null, kind: "none" }
    : { answer: final.content, reasoning: final.reasoning, kind: "message" };
}
