import type { ImportWarning } from "../records/import-warning.js";
import type { Task } from "../records/trajectory.js";
import { expect, kindOf, rowsImporter, ShapeError } from "./common/rows.js";
import { REASONING_KEYS, readReasoning } from "./common/reasoning.js";
import { asString, contentToText, isRecord, without } from "./common/text.js";
import {
  extractFromTemplate,
  functionCalls,
  leftovers,
  looksLikePatch,
  shellTextCall,
  withoutSecrets,
} from "./common/coding-agents.js";
import type { DraftMessage, DraftToolCall, TrajectoryDraft } from "./types.js";

/** History fields mapped to the message, or derived from it (`thought` and `action` restate content and calls). */
const HISTORY_MAPPED = ["role", "content", "tool_calls", "tool_call_ids", "thought", "action", "is_demo", ...REASONING_KEYS];
/** Step fields that repeat `history`: `messages` holds the whole prompt again at every step. */
const STEP_DUPLICATES = ["messages", "action", "observation", "response", "thought"];
/** SWE-agent 0.x wraps the issue this way in its instance template. */
const LEGACY_ISSUE = /ISSUE:\n([\s\S]*?)\n\nINSTRUCTIONS:/;

/**
 * SWE-agent `.traj` files: `{trajectory, history, info, replay_config?, environment}`. The conversation
 * comes from `history` (each step's `messages` is a prompt prefix and is not read); function-calling
 * runs carry `tool_calls` and `role: tool` results, text runs (0.x and text parsers) an `action` per
 * assistant turn whose observation comes back as the next user message.
 */
export const sweAgentImporter = rowsImporter({
  format: "swe-agent",
  description: "SWE-agent .traj: {trajectory, history, info, replay_config?}, function-calling (v1) and text actions (0.x)",
  dropRules: [
    { path: "/trajectory/*/messages/**", reason: "duplicate", note: "each step's prompt, a prefix of `history` (older outputs elided)" },
    { path: "/trajectory/*/action", reason: "duplicate", note: "the step's call as a command line; the call keeps its name and arguments" },
    { path: "/history/*/action", reason: "duplicate", note: "the call as a command line; the call keeps its name and arguments" },
  ],
  detectRow(row) {
    return Array.isArray(row.history) && Array.isArray(row.trajectory) && isRecord(row.info) ? 0.9 : 0;
  },
  convertRow(row, locator) {
    expect(Array.isArray(row.history), `history: expected an array, got ${kindOf(row.history)}`);
    expect(Array.isArray(row.trajectory), `trajectory: expected an array, got ${kindOf(row.trajectory)}`);
    expect(isRecord(row.info), `info: expected an object, got ${kindOf(row.info)}`);
    const warnings: ImportWarning[] = [];
    const config = replayConfig(row.replay_config, warnings);
    const steps = row.trajectory;
    const { messages, demos } = historyMessages(row.history);
    if (demos > 0) warnings.push({ code: "demonstrations-dropped", message: `dropped ${demos} demonstration message(s) (is_demo)`, count: demos, field: "is_demo" });

    const submission = asString(row.info.submission);
    const exitStatus = asString(row.info.exit_status);
    const lastAssistant = [...row.history].reverse().find((m) => isRecord(m) && m.role === "assistant" && m.is_demo !== true);
    const agent = isRecord(config?.agent) ? config.agent : {};
    const model = isRecord(agent.model) ? asString(agent.model.name) : undefined;
    const draft: TrajectoryDraft = {
      locator,
      ...(model !== undefined ? { model } : {}),
      task: taskOf(messages, config),
      messages,
      ...(submission
        ? { final: { answer: submission, reasoning: finalThought(lastAssistant), kind: looksLikePatch(submission) ? "patch" : "submit_call" } }
        : {}),
      outcome: {
        submitted_patch: submission && looksLikePatch(submission) ? submission : null,
        ...(exitStatus !== undefined ? { exit_status: exitStatus } : {}),
      },
      ...(warnings.length > 0 ? { warnings } : {}),
      extra: {
        ...without(row, ["history", "trajectory", "info", "replay_config"]),
        ...(config !== undefined ? { replay_config: withoutSecrets(config) } : {}),
        info: withoutSecrets(without(row.info, ["submission", "exit_status"])),
        steps: steps.map((step) => (isRecord(step) ? without(step, STEP_DUPLICATES) : step)),
      },
    };
    return draft;
  },
});

function historyMessages(history: unknown[]): { messages: DraftMessage[]; demos: number } {
  const messages: DraftMessage[] = [];
  let demos = 0;
  let awaitingTextResult = false;
  history.forEach((item, i) => {
    const path = `history[${i}]`;
    expect(isRecord(item), `${path}: expected a message object, got ${kindOf(item)}`);
    if (item.is_demo === true) {
      demos++;
      return;
    }
    const content = contentToText(item.content);
    const extra = leftovers(item, HISTORY_MAPPED);
    const common = extra ? { extra } : {};
    const textResult = awaitingTextResult;
    awaitingTextResult = false;
    switch (item.role) {
      case "system":
        messages.push({ role: "system", content, ...common });
        return;
      case "user":
        // In text mode the observation of the previous action comes back as the next user turn.
        if (textResult) messages.push({ role: "tool", call_id: null, name: null, content, is_error: false, source_role: "user", ...common });
        else messages.push({ role: "user", content, ...common });
        return;
      case "assistant": {
        const calls = assistantCalls(item, path);
        awaitingTextResult = calls.length > 0 && calls.every((c) => c.type === "text");
        const reasoning = readReasoning(item);
        const kept = { ...reasoning.extra, ...extra };
        messages.push({ role: "assistant", content, reasoning: reasoning.text, tool_calls: calls, ...(Object.keys(kept).length > 0 ? { extra: kept } : {}) });
        return;
      }
      case "tool": {
        const ids = Array.isArray(item.tool_call_ids) ? item.tool_call_ids.filter((id): id is string => typeof id === "string") : [];
        messages.push({ role: "tool", call_id: ids[0] ?? null, name: null, content, is_error: false, ...common });
        return;
      }
      default:
        throw new ShapeError(`${path}.role: expected system, user, assistant or tool, got ${JSON.stringify(item.role)}`);
    }
  });
  return { messages, demos };
}

/** Function calls when the turn has them; otherwise its parsed text action (none after a format error). */
function assistantCalls(item: Record<string, unknown>, path: string): DraftToolCall[] {
  if (Array.isArray(item.tool_calls) && item.tool_calls.length > 0) return functionCalls(item.tool_calls, `${path}.tool_calls`);
  const action = asString(item.action);
  return action !== undefined && action.trim() !== "" ? [shellTextCall(action)] : [];
}

function finalThought(item: unknown): string | null {
  if (!isRecord(item)) return null;
  const text = asString(item.thought) ?? contentToText(item.content);
  return text.trim() === "" ? null : text;
}

/** `replay_config` is an object, or (as SWE-agent writes it) the same object serialised to a JSON string. */
function replayConfig(value: unknown, warnings: ImportWarning[]): Record<string, unknown> | undefined {
  if (isRecord(value)) return value;
  if (typeof value !== "string") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (isRecord(parsed)) return parsed;
  } catch {
    // reported below
  }
  // Unparsed, it cannot be cleared of credentials, so it is not kept.
  warnings.push({
    code: "invalid-embedded-json",
    message: "replay_config is a string that is not a JSON object; dropped, and repo and problem statement not read from it",
    field: "replay_config",
  });
  return undefined;
}

/** The issue text: cut out of the first user message by the instance template, else the config's problem statement. */
function taskOf(messages: DraftMessage[], config: Record<string, unknown> | undefined): Partial<Task> {
  const agent = isRecord(config?.agent) ? config.agent : {};
  const templates = isRecord(agent.templates) ? agent.templates : {};
  const problem = isRecord(config?.problem_statement) ? config.problem_statement : {};
  const env = isRecord(config?.env) ? config.env : {};
  const task: Partial<Task> = {};

  const first = messages.find((m) => m.role === "user")?.content ?? "";
  const template = asString(templates.instance_template);
  const extracted = (template && extractFromTemplate(first, template, "problem_statement")) ?? LEGACY_ISSUE.exec(first)?.[1];
  const statement = asString(problem.text);
  if (extracted !== undefined) Object.assign(task, { question: extracted, question_origin: "extracted_from_template" });
  else if (statement !== undefined) Object.assign(task, { question: statement, question_origin: "dataset_field" });

  const instanceId = asString(problem.id);
  if (instanceId !== undefined) task.instance_id = instanceId;
  const repo = isRecord(env.repo) ? env.repo : undefined;
  if (repo) {
    const url = asString(repo.github_url);
    const name = url ? /github\.com[/:]([^/]+\/[^/.]+)/.exec(url)?.[1] : undefined;
    const baseCommit = asString(repo.base_commit);
    const ref = { ...(name ? { name } : {}), ...(url ? { url } : {}), ...(baseCommit ? { base_commit: baseCommit } : {}) };
    if (Object.keys(ref).length > 0) task.repo = ref;
  }
  return task;
}
