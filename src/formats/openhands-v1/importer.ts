import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Locator } from "../../records/trajectory.js";
import { expect, kindOf, rejectionOf, rowsImporter } from "../common/rows.js";
import { asString, isRecord } from "../common/text.js";
import { evalRowFields } from "../openhands-v0/importer.js";
import { V1Conversation } from "./events.js";
import { withoutSecrets } from "../common/coding-agents.js";
import type { DraftMessage, ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "../types.js";

/** `events/event-00012-<uuid>.json`: the index orders the events. */
const EVENT_FILE = /^event-(\d+)-.*\.json$/;

function isV1Event(value: unknown): boolean {
  return isRecord(value) && typeof value.kind === "string" && /(?:Event|Observation|^Condensation\w*)$/.test(value.kind);
}

const rows = rowsImporter({
  format: "openhands-v1",
  description: "OpenHands V1 SDK: eval output rows (history of kind-tagged events) and persisted conversation folders (base_state.json + events/)",
  dropRules: [
    { path: "/**/{kind=*}/source", reason: "structure", note: "who emitted the event, mapped to the message role" },
    { path: "/**/tool_call/origin", reason: "bookkeeping", note: "where the SDK took the call from (`completion`)" },
    { path: "/**/tools/*/action_type", reason: "structure", note: "the SDK's class name for a tool's action" },
    { path: "/**/tools/*/observation_type", reason: "structure", note: "the SDK's class name for a tool's observation" },
    { path: "/**/api_key", reason: "noise", note: "a credential (masked by the SDK), never kept" },
  ],
  detectRow(row) {
    if (!Array.isArray(row.history)) return 0;
    if (row.history.length > 0) return isV1Event(row.history[0]) ? 0.9 : 0;
    // An eval row whose run failed before its first event: V1 metadata holds an `llm` config.
    return isRecord(row.metadata) && isRecord(row.metadata.llm) && !("agent_class" in row.metadata) ? 0.6 : 0;
  },
  convertRow(row, locator) {
    expect(Array.isArray(row.history), `history: expected an array, got ${kindOf(row.history)}`);
    const conversation = new V1Conversation();
    row.history.forEach((event, i) => conversation.add(event, `history[${i}]`));
    const draft = draftOf(conversation, locator);
    // Eval histories start at the agent's first action: the instruction it was given is the user turn.
    if (typeof row.instruction === "string" && !draft.messages.some((m) => m.role === "user")) {
      const first = draft.messages.findIndex((m) => m.role !== "system");
      const at = first === -1 ? draft.messages.length : first;
      const user: DraftMessage = { role: "user", content: row.instruction, extra: { from_field: "instruction" } };
      draft.messages.splice(at, 0, user);
      for (const event of draft.events ?? []) if (event.message_index >= at) event.message_index++;
    }
    const metadata = isRecord(row.metadata) ? row.metadata : {};
    const model = isRecord(metadata.llm) ? asString(metadata.llm.model) : undefined;
    return { ...draft, ...(model !== undefined ? { model } : {}), ...evalRowFields(row, draft) };
  },
});

export const openhandsV1Importer: Importer = {
  ...rows,
  detect(probe: Probe): number {
    if (probe.container === "directory") return probe.entries.includes("base_state.json") && probe.entries.includes("events") ? 0.9 : 0;
    return rows.detect(probe);
  },
  async *read(input: ImportInput): AsyncIterable<ImportItem> {
    if (input.container === "directory") yield* readConversationDirectory(input.path);
    else yield* rows.read(input);
  },
};

function draftOf(conversation: V1Conversation, locator: Locator): TrajectoryDraft {
  const { final } = conversation.finishUp();
  return {
    locator,
    messages: conversation.messages,
    events: conversation.events,
    ...(conversation.tools ? { tools: conversation.tools } : {}),
    ...(final ? { final } : {}),
    ...(conversation.warnings.length > 0 ? { warnings: conversation.warnings } : {}),
  };
}

/**
 * A persisted conversation: `base_state.json` (agent and LLM config, stats) plus one file per event.
 * Events are read one file at a time in index order; a file that is not valid JSON or not an event is
 * a line-level reject naming the file, and the rest of the conversation is still imported.
 */
async function* readConversationDirectory(path: string): AsyncGenerator<ImportItem> {
  const locator: Locator = {};
  let names: string[];
  try {
    names = await readdir(join(path, "events"));
  } catch (error) {
    yield { kind: "reject", locator, scope: "record", code: "unreadable", reason: `cannot list events/: ${(error as Error).message}` };
    return;
  }
  const eventFiles = names
    .flatMap((name) => {
      const match = EVENT_FILE.exec(name);
      return match ? [{ name, index: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.index - b.index || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const conversation = new V1Conversation();
  const other = names.length - eventFiles.length;
  if (other > 0) conversation.warnings.push({ code: "ignored-files", message: `ignored ${other} file(s) in events/ not named event-<index>-<id>.json`, count: other, field: "events/" });
  for (const { name } of eventFiles) {
    const eventFile = `events/${name}`;
    const parsed = await readJson(join(path, eventFile));
    if ("error" in parsed) {
      yield { kind: "reject", locator: { event_file: eventFile }, scope: "line", code: parsed.code, reason: parsed.error };
      continue;
    }
    try {
      conversation.add(parsed.value, eventFile);
    } catch (error) {
      yield { kind: "reject", locator: { event_file: eventFile }, scope: "line", ...rejectionOf(error, "openhands-v1") };
    }
  }

  const draft = draftOf(conversation, locator);
  const state = await readJson(join(path, "base_state.json"));
  if ("error" in state) {
    yield { kind: "reject", locator: { event_file: "base_state.json" }, scope: "line", code: state.code, reason: state.error };
    yield { kind: "trajectory", draft };
    return;
  }
  const base = isRecord(state.value) ? state.value : {};
  const agent = isRecord(base.agent) ? base.agent : {};
  const model = isRecord(agent.llm) ? asString(agent.llm.model) : undefined;
  yield {
    kind: "trajectory",
    draft: { ...draft, ...(model !== undefined ? { model } : {}), extra: { base_state: withoutSecrets(state.value) } },
  };
}

async function readJson(file: string): Promise<{ value: unknown } | { error: string; code: "invalid-json" | "invalid-utf8" | "unreadable" }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return { error: `cannot read: ${(error as Error).message}`, code: "unreadable" };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { error: "the file is not valid UTF-8", code: "invalid-utf8" };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}`, code: "invalid-json" };
  }
}
