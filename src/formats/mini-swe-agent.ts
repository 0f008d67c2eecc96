import type { Locator, Task } from "../records/trajectory.js";
import { expect, kindOf, rejectionOf, rowsImporter, ShapeError } from "./common/rows.js";
import { REASONING_KEYS, type Reasoning, readReasoning } from "./common/reasoning.js";
import { asString, contentToText, isRecord, without } from "./common/text.js";
import {
  extractFromTemplate,
  functionCalls,
  leftovers,
  looksLikePatch,
  shellTextCall,
  withoutSecrets,
} from "./common/coding-agents.js";
import type { DraftMessage, DraftToolCall, ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "./types.js";

const ROLES = new Set(["system", "user", "assistant", "tool", "exit"]);
/** The one action of a text-mode turn: a ```bash (mini 1.x) or ```mswea_bash_command (2.x) block. */
const ACTION_BLOCK = /```(?:bash|mswea_bash_command)[ \t]*\n([\s\S]*?)\n```/g;
/** The command that ends a run; its output (after the marker line) is the submission. */
const SUBMIT_MARKER = /\b(?:COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT|MINI_SWE_AGENT_FINAL_OUTPUT)\b/;
const RETURN_CODE = /^\s*<returncode>-?\d+<\/returncode>/;
const MESSAGE_MAPPED = ["role", "content", "tool_calls", "tool_call_id", "extra", ...REASONING_KEYS];
/**
 * `extra.actions` restates the calls, `raw_output` the observation text (kept only when the observation
 * elided part of it), `response` the raw LiteLLM completion: its message repeats this one, so only its
 * usage, finish reason and error are kept (and its reasoning, if the message lacks it).
 */
const EXTRA_DERIVED = ["actions", "response", "raw_output"];

const rows = rowsImporter({
  format: "mini-swe-agent",
  description: "mini-swe-agent .traj.json: {info, messages, trajectory_format} in tool-call or text (```bash) mode, or a bare message list",
  dropRules: [
    { path: "/messages/*/extra/response/{object=chat.completion}/*", reason: "bookkeeping", note: "the raw completion's id, creation time, provider and fingerprint" },
    { path: "/messages/*/extra/response/choices/*/native_finish_reason", reason: "bookkeeping", note: "the provider's own spelling of the finish reason" },
  ],
  detectRow(row) {
    if (typeof row.trajectory_format === "string" && row.trajectory_format.startsWith("mini-swe-agent")) return 0.95;
    if (!Array.isArray(row.messages) || !isRecord(row.info)) return 0;
    const exits = row.messages.some((m) => isRecord(m) && m.role === "exit");
    return exits || "mini_version" in row.info ? 0.9 : 0;
  },
  convertRow: (row, locator) => convertRun(row, locator),
});

/** Rows as above, plus the oldest layout: a file that is one bare list of `{role, content}` messages. */
export const miniSweAgentImporter: Importer = {
  ...rows,
  detect(probe: Probe): number {
    if (probe.container === "json" && isBareMessageList(probe.document)) return 0.9;
    return rows.detect(probe);
  },
  async *read(input: ImportInput): AsyncIterable<ImportItem> {
    if (input.container === "json" && isBareMessageList(input.document)) {
      const locator = { json_pointer: "" };
      try {
        yield { kind: "trajectory", draft: convertRun({ messages: input.document }, locator) };
      } catch (error) {
        yield { kind: "reject", locator, scope: "record", ...rejectionOf(error, "mini-swe-agent") };
      }
      return;
    }
    yield* rows.read(input);
  },
};

/** Chat messages whose observations carry mini-swe-agent's `<returncode>` wrapper. */
function isBareMessageList(document: unknown): document is unknown[] {
  if (!Array.isArray(document) || document.length === 0) return false;
  if (!document.every((m) => isRecord(m) && typeof m.role === "string" && ROLES.has(m.role))) return false;
  return document.some((m) => (m as Record<string, unknown>).role !== "assistant" && RETURN_CODE.test(contentToText((m as Record<string, unknown>).content)));
}

function convertRun(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  expect(Array.isArray(row.messages), `messages: expected an array, got ${kindOf(row.messages)}`);
  expect(row.info === undefined || isRecord(row.info), `info: expected an object, got ${kindOf(row.info)}`);
  const info = row.info ?? {};
  const messages: DraftMessage[] = [];
  let exit: Record<string, unknown> | undefined;
  let awaitingTextResult = false;

  row.messages.forEach((raw, i) => {
    const path = `messages[${i}]`;
    expect(isRecord(raw), `${path}: expected a message object, got ${kindOf(raw)}`);
    const textResult = awaitingTextResult;
    awaitingTextResult = false;
    if (raw.role === "exit") {
      exit = raw;
      return;
    }
    const content = contentToText(raw.content);
    const sourceExtra = isRecord(raw.extra) ? raw.extra : {};
    switch (raw.role) {
      case "system":
        messages.push({ role: "system", content, ...extraOf(raw, sourceExtra, content) });
        return;
      case "user":
        // Text mode: the previous action's output comes back as a user turn.
        if (textResult) messages.push({ role: "tool", call_id: null, name: null, content, is_error: false, source_role: "user", ...extraOf(raw, sourceExtra, content) });
        else messages.push({ role: "user", content, ...extraOf(raw, sourceExtra, content) });
        return;
      case "assistant": {
        const response = isRecord(sourceExtra.response) ? sourceExtra.response : {};
        const calls = assistantCalls(raw, content, path);
        awaitingTextResult = calls.length > 0 && calls[0]!.type === "text";
        const model = asString(response.model);
        const reasoning = assistantReasoning(raw, response);
        const { extra } = extraOf(raw, sourceExtra, content, response);
        const kept = { ...reasoning.extra, ...extra };
        messages.push({
          role: "assistant",
          content: raw.content === null ? null : content,
          reasoning: reasoning.text,
          tool_calls: calls,
          ...(model !== undefined ? { model } : {}),
          ...(Object.keys(kept).length > 0 ? { extra: kept } : {}),
        });
        return;
      }
      case "tool":
        messages.push({
          role: "tool",
          call_id: asString(raw.tool_call_id) ?? null,
          name: null,
          content,
          is_error: hasException(sourceExtra),
          ...extraOf(raw, sourceExtra, content),
        });
        return;
      default:
        throw new ShapeError(`${path}.role: expected system, user, assistant, tool or exit, got ${JSON.stringify(raw.role)}`);
    }
  });

  const exitExtra = isRecord(exit?.extra) ? exit.extra : {};
  const submission =
    asString(info.submission) ?? asString(exitExtra.submission) ?? (exit ? contentToText(exit.content) : submittedOutput(messages));
  const exitStatus = asString(info.exit_status) ?? asString(exitExtra.exit_status);
  const lastAssistant = [...messages].reverse().find((m) => m.role === "assistant");
  const config = isRecord(info.config) ? info.config : {};
  const modelConfig = isRecord(config.model) ? config.model : {};
  const model = asString(modelConfig.model_name);
  const exitLeft = exit ? exitLeftovers(exit, exitExtra, submission, exitStatus) : undefined;
  return {
    locator,
    ...(typeof row.trajectory_format === "string" ? { format_version: row.trajectory_format } : {}),
    ...(model !== undefined ? { model } : {}),
    task: taskOf(row, messages, config),
    messages,
    ...(submission
      ? {
          final: {
            answer: submission,
            reasoning: lastAssistant?.role === "assistant" && lastAssistant.content?.trim() ? lastAssistant.content : null,
            kind: looksLikePatch(submission) ? ("patch" as const) : ("submit_call" as const),
          },
        }
      : { final: { answer: null, reasoning: null, kind: "none" as const } }),
    outcome: {
      submitted_patch: submission && looksLikePatch(submission) ? submission : null,
      ...(exitStatus !== undefined ? { exit_status: exitStatus } : {}),
    },
    extra: {
      ...without(row, ["messages", "info", "trajectory_format", "instance_id"]),
      ...(row.info !== undefined ? { info: withoutSecrets(without(info, ["submission", "exit_status"])) } : {}),
      ...(exitLeft ? { exit: exitLeft } : {}),
    },
  };
}

/** Tool calls when the turn has them; in text mode the single fenced action (several or none is a format error). */
function assistantCalls(raw: Record<string, unknown>, content: string, path: string): DraftToolCall[] {
  if (Array.isArray(raw.tool_calls) && raw.tool_calls.length > 0) return functionCalls(raw.tool_calls, `${path}.tool_calls`);
  const blocks = [...content.matchAll(ACTION_BLOCK)];
  return blocks.length === 1 ? [shellTextCall(blocks[0]![1]!)] : [];
}

/** Runs saved without `info` (a bare list): the output of the final submit command, when the run ends with it. */
function submittedOutput(messages: DraftMessage[]): string | undefined {
  const [call, result] = messages.slice(-2);
  if (call?.role !== "assistant" || result?.role !== "tool") return undefined;
  return call.tool_calls.some((c) => SUBMIT_MARKER.test(c.raw_arguments ?? "")) ? result.content : undefined;
}

/**
 * The message's own reasoning fields, else those of the raw completion's message (where LiteLLM and
 * OpenRouter runs keep `reasoning`, `reasoning_details` and `thinking_blocks`); the opaque parts of both are kept.
 */
function assistantReasoning(raw: Record<string, unknown>, response: Record<string, unknown>): Reasoning {
  const own = readReasoning(raw);
  const choice = Array.isArray(response.choices) && isRecord(response.choices[0]) ? response.choices[0] : {};
  const fromResponse = readReasoning(isRecord(choice.message) ? choice.message : {});
  const text = own.text ?? fromResponse.text;
  const differs = own.text !== null && fromResponse.text !== null && !own.text.includes(fromResponse.text);
  return {
    text,
    extra: { ...fromResponse.extra, ...own.extra, ...(differs ? { response_reasoning: fromResponse.text } : {}) },
    keys: own.keys,
  };
}

/** A tool that failed to run (timeout, exception); a non-zero exit code is the command's result, kept in extra. */
function hasException(extra: Record<string, unknown>): boolean {
  const info = extra.exception_info;
  return (typeof info === "string" && info.trim() !== "") || (isRecord(info) && Object.keys(info).length > 0);
}

function extraOf(
  raw: Record<string, unknown>,
  sourceExtra: Record<string, unknown>,
  content: string,
  response: Record<string, unknown> = {},
): { extra?: Record<string, unknown> } {
  const choice = Array.isArray(response.choices) && isRecord(response.choices[0]) ? response.choices[0] : {};
  const rawOutput = asString(sourceExtra.raw_output);
  const kept = {
    ...leftovers(raw, MESSAGE_MAPPED),
    ...leftovers(sourceExtra, EXTRA_DERIVED),
    ...(rawOutput !== undefined && !content.includes(rawOutput) ? { raw_output: rawOutput } : {}),
    ...(response.usage !== undefined ? { usage: response.usage } : {}),
    ...(typeof choice.finish_reason === "string" ? { finish_reason: choice.finish_reason } : {}),
    ...(choice.error !== undefined && choice.error !== null ? { error: choice.error } : {}),
  };
  return Object.keys(kept).length > 0 ? { extra: kept } : {};
}

/** What the exit message holds beyond the submission and exit status the record already has. */
function exitLeftovers(exit: Record<string, unknown>, exitExtra: Record<string, unknown>, submission: string | undefined, exitStatus: string | undefined) {
  const content = contentToText(exit.content);
  const same = [...(exitExtra.submission === submission ? ["submission"] : []), ...(exitExtra.exit_status === exitStatus ? ["exit_status"] : [])];
  const rest = {
    ...leftovers(exit, ["role", "content", "extra"]),
    ...leftovers(exitExtra, same),
    ...(content !== "" && content !== submission && content !== exitExtra.submission ? { content } : {}),
  };
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function taskOf(row: Record<string, unknown>, messages: DraftMessage[], config: Record<string, unknown>): Partial<Task> {
  const task: Partial<Task> = {};
  if (typeof row.instance_id === "string") task.instance_id = row.instance_id;
  const agent = isRecord(config.agent) ? config.agent : {};
  const template = asString(agent.instance_template);
  const first = messages.find((m) => m.role === "user")?.content;
  const question = template && first !== undefined ? extractFromTemplate(first, template, "task") : undefined;
  if (question !== undefined) Object.assign(task, { question, question_origin: "extracted_from_template" });
  return task;
}
