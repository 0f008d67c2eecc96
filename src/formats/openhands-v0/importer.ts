import type { Locator, Task } from "../../records/trajectory.js";
import { expect, kindOf, rejectionOf, rowsImporter } from "../common/rows.js";
import { asString, isRecord, without } from "../common/text.js";
import { BOOKKEEPING_ACTIONS, BOOKKEEPING_OBSERVATIONS, convertV0Events } from "./events.js";
import { looksLikePatch, withoutSecrets } from "../common/coding-agents.js";
import type { ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "../types.js";

/** A V0 event: `action` or `observation` is a type name (V1 events have a `kind` and nested objects). */
function isV0Event(value: unknown): boolean {
  return isRecord(value) && !("kind" in value) && (typeof value.action === "string" || typeof value.observation === "string");
}

function isV0History(history: unknown[]): boolean {
  const first = history.find((item) => !(Array.isArray(item) && item.length === 0));
  return Array.isArray(first) ? isV0Event(first[0]) : isV0Event(first);
}

/** A file that is one conversation: a top-level array of events. */
function isEventList(document: unknown): document is unknown[] {
  return Array.isArray(document) && document.length > 0 && isV0Event(document[0]);
}

const rows = rowsImporter({
  format: "openhands-v0",
  description: "OpenHands V0: an event array (action / observation), or eval output rows with history as events or [action, observation] pairs",
  dropRules: [
    { path: `/**/{observation=${[...BOOKKEEPING_OBSERVATIONS].join("|")}}/**`, reason: "bookkeeping", note: "agent state changes and empty observations" },
    { path: `/**/{action=${[...BOOKKEEPING_ACTIONS].join("|")}}/**`, reason: "bookkeeping", note: "agent state changes, pauses, memory recalls (their results are kept)" },
    { path: "/**/{action=edit}/args/translated_ipython_code", reason: "duplicate", note: "an edit rendered as the IPython call that ran it; the call's arguments hold the edit" },
    { path: "/**/args/confirmation_state", reason: "bookkeeping", note: "whether the user confirmed the action in the UI" },
    { path: "/**/{action=*}/message", reason: "duplicate", note: "the UI's one-line summary of an action (\"Running command: …\"), made from its arguments" },
    { path: "/**/{observation=*}/message", reason: "duplicate", note: "the UI's one-line summary of an observation, made from its content" },
    { path: "/**/{observation=*}/source", reason: "structure", note: "who emitted the event, mapped to the message role" },
    { path: "/**/{action=*}/source", reason: "structure", note: "who emitted the event, mapped to the message role" },
    { path: "/**/{action=*}/action", reason: "structure", note: "the event's type, mapped to a message or a call" },
    { path: "/**/{observation=*}/observation", reason: "structure", note: "the event's type, mapped to a tool result" },
    { path: "/**/api_key", reason: "noise", note: "a credential (masked by OpenHands), never kept" },
  ],
  detectRow(row) {
    if (!Array.isArray(row.history)) return 0;
    if (row.history.length > 0) return isV0History(row.history) ? 0.9 : 0;
    // An eval row whose run failed before its first event: V0 metadata names the agent class.
    return isRecord(row.metadata) && "agent_class" in row.metadata ? 0.6 : 0;
  },
  convertRow: (row, locator) => convertEvalRow(row, locator),
});

export const openhandsV0Importer: Importer = {
  ...rows,
  detect(probe: Probe): number {
    if (probe.container === "json" && isEventList(probe.document)) return 0.9;
    return rows.detect(probe);
  },
  async *read(input: ImportInput): AsyncIterable<ImportItem> {
    if (input.container === "json" && isEventList(input.document)) {
      const locator = { json_pointer: "" };
      try {
        yield { kind: "trajectory", draft: convertEvents(input.document, "", locator) };
      } catch (error) {
        yield { kind: "reject", locator, scope: "record", ...rejectionOf(error, "openhands-v0") };
      }
      return;
    }
    yield* rows.read(input);
  },
};

function convertEvents(history: unknown[], path: string, locator: Locator): TrajectoryDraft {
  const conversation = convertV0Events(history, path);
  return {
    locator,
    messages: conversation.messages,
    events: conversation.events,
    ...(conversation.tools ? { tools: conversation.tools } : {}),
    ...(conversation.finish ? { final: { ...conversation.finish, kind: "submit_call" as const } } : {}),
    ...(conversation.warnings.length > 0 ? { warnings: conversation.warnings } : {}),
  };
}

/**
 * Eval `output.jsonl` rows: `{instance_id, instruction, history, test_result, metadata, instance, …}`.
 * `llm_completions` (raw prompt logs, when enabled) repeat the history and are not kept.
 */
function convertEvalRow(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  expect(Array.isArray(row.history), `history: expected an array, got ${kindOf(row.history)}`);
  const draft = convertEvents(row.history, "history", locator);
  const metadata = isRecord(row.metadata) ? row.metadata : {};
  const llmConfig = isRecord(metadata.llm_config) ? metadata.llm_config : {};
  const model = asString(metadata.model_name) ?? asString(llmConfig.model);
  return { ...draft, ...(model !== undefined ? { model } : {}), ...evalRowFields(row, draft) };
}

/**
 * What OpenHands eval rows (V0 and V1) say beyond the history: the dataset's problem statement is the
 * question, `test_result.git_patch` the submission (and the final answer, the finish answer moving to
 * extra), `test_result.report.resolved` the label. `instruction` is kept only when no user message
 * already holds it. Run configuration is kept without credentials.
 */
export function evalRowFields(
  row: Record<string, unknown>,
  draft: Pick<TrajectoryDraft, "final" | "messages">,
): Pick<TrajectoryDraft, "task" | "final" | "outcome" | "extra"> {
  const final = draft.final;
  const instance = isRecord(row.instance) ? row.instance : {};
  const testResult = isRecord(row.test_result) ? row.test_result : {};
  const patch = asString(testResult.git_patch);
  const submitted = patch !== undefined && looksLikePatch(patch) ? patch : null;
  const report = isRecord(testResult.report) ? testResult.report : {};
  const resolved = typeof report.resolved === "boolean" ? report.resolved : undefined;
  // The patch is the submission; kept once.
  const testRest = submitted !== null ? without(testResult, ["git_patch"]) : row.test_result;
  const instructionShown = draft.messages.some((m) => m.role === "user" && m.content === row.instruction);
  return {
    task: taskOf(row, instance),
    ...(submitted !== null ? { final: { answer: submitted, reasoning: final?.reasoning ?? null, kind: "patch" as const } } : final ? { final } : {}),
    outcome: {
      submitted_patch: submitted,
      ...(resolved !== undefined ? { success: resolved, label_source: "test_result.report.resolved" } : {}),
    },
    extra: withoutSecrets({
      ...without(row, ["history", "instance", "instance_id", "llm_completions", "test_result", ...(instructionShown ? ["instruction"] : [])]),
      ...(Object.keys(instance).length > 0 ? { instance: without(instance, ["problem_statement"]) } : {}),
      ...(testRest !== undefined && !(isRecord(testRest) && Object.keys(testRest).length === 0) ? { test_result: testRest } : {}),
      ...(submitted !== null && final?.answer ? { finish_answer: final.answer } : {}),
    }) as Record<string, unknown>,
  };
}

function taskOf(row: Record<string, unknown>, instance: Record<string, unknown>): Partial<Task> {
  const task: Partial<Task> = {};
  const instanceId = asString(row.instance_id) ?? asString(instance.instance_id);
  if (instanceId !== undefined) task.instance_id = instanceId;
  const statement = asString(instance.problem_statement) ?? asString(row.instruction);
  if (statement !== undefined) Object.assign(task, { question: statement, question_origin: "dataset_field" });
  const name = asString(instance.repo);
  const baseCommit = asString(instance.base_commit);
  if (name !== undefined || baseCommit !== undefined) task.repo = { ...(name ? { name } : {}), ...(baseCommit ? { base_commit: baseCommit } : {}) };
  return task;
}
