import type { Locator } from "../../records/trajectory.js";
import { argumentsOf } from "../common/openai-messages.js";
import { expect, kindOf, readRows, rejectionOf, ShapeError } from "../common/rows.js";
import { asString, contentToText, isRecord, without } from "../common/text.js";
import { toolDefinitions } from "../openai-chat.js";
import { renderUserInstructions } from "./task.js";
import type { DraftMessage, DraftToolCall, ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "../types.js";

/**
 * tau2-bench `Results` documents: {timestamp, info, tasks[], simulations[SimulationRun]}.
 * Each simulation becomes one trajectory (locator `/simulations/<i>`); a bad simulation is rejected alone.
 */
export const tau2BenchImporter: Importer = {
  format: "tau2-bench",
  description: "tau2-bench results: {info, tasks, simulations[{messages, reward_info, …}]}, one trajectory per simulation",
  rowBased: true,
  detect(probe: Probe): number {
    const doc = firstDocument(probe);
    return isRecord(doc) && Array.isArray(doc.simulations) && (Array.isArray(doc.tasks) || isRecord(doc.info)) ? 0.9 : 0;
  },
  read: (input: ImportInput) => readRows(input, readResults),
};

function firstDocument(probe: Probe): unknown {
  if (probe.container === "directory") return undefined;
  if (probe.container === "json") return Array.isArray(probe.document) ? probe.document[0] : probe.document;
  const first = probe.head.find((entry) => "value" in entry);
  return first && "value" in first ? first.value : undefined;
}

/** A results object (a row): one trajectory per simulation, located under the row's pointer. */
function* readResults(value: unknown, row: Locator): Generator<ImportItem> {
  const pointer = row.json_pointer ?? "";
  const whole = { ...row, json_pointer: pointer };
  const reject = (reason: string): ImportItem => ({ kind: "reject", locator: whole, scope: "record", code: "wrong-shape", reason });
  if (!isRecord(value)) return yield reject(`expected a tau2-bench results object, got ${kindOf(value)}`);
  if (!Array.isArray(value.simulations)) return yield reject(`simulations: expected an array, got ${kindOf(value.simulations)}`);
  if (value.tasks !== undefined && value.tasks !== null && !Array.isArray(value.tasks)) {
    return yield reject(`tasks: expected an array, got ${kindOf(value.tasks)}`);
  }
  if (value.simulations.length === 0) return yield reject("simulations: the results hold no simulation, so no trajectory");
  const run = runContext(value);
  for (let i = 0; i < value.simulations.length; i++) {
    const locator = { ...row, json_pointer: `${pointer}/simulations/${i}` };
    try {
      yield { kind: "trajectory", draft: convertSimulation(value.simulations[i], `simulations[${i}]`, run, locator) };
    } catch (error) {
      yield { kind: "reject", locator, scope: "record", ...rejectionOf(error, "tau2-bench") };
    }
  }
}

interface RunContext {
  tasks: Map<string, Record<string, unknown>>;
  policy: string | undefined;
  model: string | undefined;
  tools: ReturnType<typeof toolDefinitions>;
  /** Run-level fields kept with every trajectory (the policy, used as the system prompt, is left out). */
  info: Record<string, unknown>;
}

function runContext(results: Record<string, unknown>): RunContext {
  const tasks = new Map<string, Record<string, unknown>>();
  for (const task of Array.isArray(results.tasks) ? results.tasks : []) {
    if (isRecord(task) && (typeof task.id === "string" || typeof task.id === "number")) tasks.set(String(task.id), task);
  }
  const info = isRecord(results.info) ? results.info : {};
  const environment = isRecord(info.environment_info) ? info.environment_info : {};
  const agent = isRecord(info.agent_info) ? info.agent_info : {};
  const toolDefs = environment.tool_defs;
  const tools = toolDefinitions(isRecord(toolDefs) ? Object.values(toolDefs) : toolDefs);
  const keptEnvironment = without(environment, ["policy", ...(tools ? ["tool_defs"] : [])]);
  return {
    tasks,
    policy: asString(environment.policy),
    model: asString(agent.llm),
    tools,
    info: {
      ...(results.timestamp !== undefined ? { timestamp: results.timestamp } : {}),
      ...without(info, ["environment_info"]),
      environment_info: keptEnvironment,
    },
  };
}

const SIMULATION_MAPPED = ["messages", "reward_info", "task_id", "policy", "termination_reason"];

function convertSimulation(raw: unknown, path: string, run: RunContext, locator: Locator): TrajectoryDraft {
  expect(isRecord(raw), `${path}: expected a simulation object, got ${kindOf(raw)}`);
  expect(Array.isArray(raw.messages), `${path}.messages: expected an array, got ${kindOf(raw.messages)}`);
  const taskId = raw.task_id;
  expect(taskId === undefined || typeof taskId === "string" || typeof taskId === "number", `${path}.task_id: expected a string or number`);
  const task = taskId === undefined ? undefined : run.tasks.get(String(taskId));
  const question = task ? scenarioQuestion(task) : undefined;
  const policy = asString(raw.policy) ?? run.policy;
  const reward = rewardOf(raw.reward_info, `${path}.reward_info`);
  const termination = raw.termination_reason;
  expect(termination === undefined || termination === null || typeof termination === "string", `${path}.termination_reason: expected a string`);

  return {
    locator,
    ...(run.model !== undefined ? { model: run.model } : {}),
    task: {
      ...(taskId !== undefined ? { instance_id: String(taskId) } : {}),
      ...(question !== undefined ? { question, question_origin: "dataset_field" as const } : {}),
      ...(policy !== undefined ? { system_prompt: policy } : {}),
    },
    ...(run.tools ? { tools: run.tools } : {}),
    messages: convertMessages(raw.messages, `${path}.messages`),
    outcome: {
      reward,
      success: reward === null ? null : reward >= 1,
      label_source: reward === null ? null : "tau2_bench.reward_info.reward",
      ...(typeof termination === "string" ? { exit_status: termination } : {}),
    },
    extra: {
      ...presentFields(without(raw, SIMULATION_MAPPED)),
      ...(isRecord(raw.reward_info) ? { reward_info: raw.reward_info } : {}),
      ...(task ? { task } : {}),
      run: run.info,
    },
  };
}

function rewardOf(info: unknown, path: string): number | null {
  if (info === undefined || info === null) return null;
  expect(isRecord(info), `${path}: expected an object, got ${kindOf(info)}`);
  if (info.reward === undefined || info.reward === null) return null;
  expect(typeof info.reward === "number", `${path}.reward: expected a number, got ${kindOf(info.reward)}`);
  return info.reward;
}

/** The simulated user's scenario instructions: a string in older tau2 versions, structured fields in newer ones. */
function scenarioQuestion(task: Record<string, unknown>): string | undefined {
  const scenario = isRecord(task.user_scenario) ? task.user_scenario : undefined;
  return scenario ? renderUserInstructions(scenario.instructions) : undefined;
}

const MESSAGE_MAPPED = ["role", "content", "tool_calls", "timestamp"];

/**
 * tau2 messages → draft messages. Calls and results of the simulated user (`requestor: "user"`, e.g. telecom
 * device actions) are not the agent's: they stay on the user message under `extra.tool_calls` / `extra.tool_results`.
 */
function convertMessages(messages: unknown[], path: string): DraftMessage[] {
  const drafts: DraftMessage[] = [];
  let userWithCalls: Extract<DraftMessage, { role: "user" }> | undefined;
  messages.forEach((raw, i) => {
    const at = `${path}[${i}]`;
    expect(isRecord(raw), `${at}: expected a message object, got ${kindOf(raw)}`);
    const content = raw.content;
    expect(content === undefined || content === null || typeof content === "string", `${at}.content: expected a string or null, got ${kindOf(content)}`);
    const timestamp = asString(raw.timestamp);
    const common = { ...(timestamp !== undefined ? { timestamp } : {}) };
    switch (raw.role) {
      case "system":
        drafts.push({ role: "system", content: content ?? "", ...common, ...extraOf(raw, MESSAGE_MAPPED) });
        return;
      case "assistant":
        drafts.push({
          role: "assistant",
          content: content ?? null,
          reasoning: null,
          tool_calls: toolCalls(raw.tool_calls, `${at}.tool_calls`),
          ...common,
          ...extraOf(raw, MESSAGE_MAPPED),
        });
        return;
      case "user": {
        const calls = raw.tool_calls;
        expect(calls === undefined || calls === null || Array.isArray(calls), `${at}.tool_calls: expected an array or null, got ${kindOf(calls)}`);
        const extra = presentFields(without(raw, ["role", "content", "timestamp"]));
        const message: Extract<DraftMessage, { role: "user" }> = {
          role: "user",
          content: content ?? "",
          ...common,
          ...(Object.keys(extra).length > 0 ? { extra } : {}),
        };
        drafts.push(message);
        userWithCalls = Array.isArray(calls) && calls.length > 0 ? message : userWithCalls;
        return;
      }
      case "tool": {
        const error = raw.error;
        expect(error === undefined || error === null || typeof error === "boolean", `${at}.error: expected a boolean, got ${kindOf(error)}`);
        const id = raw.id;
        expect(id === undefined || id === null || typeof id === "string", `${at}.id: expected a string, got ${kindOf(id)}`);
        if (raw.requestor === "user" && userWithCalls !== undefined) {
          const extra = userWithCalls.extra ?? {};
          extra.tool_results = [...(Array.isArray(extra.tool_results) ? extra.tool_results : []), raw];
          userWithCalls.extra = extra;
          return;
        }
        drafts.push({
          role: "tool",
          call_id: id ?? null,
          name: null,
          content: contentToText(content),
          is_error: error === true,
          ...common,
          ...extraOf(raw, [...MESSAGE_MAPPED, "id", "error"]),
        });
        return;
      }
      default:
        throw new ShapeError(`${at}.role: expected system, user, assistant or tool, got ${JSON.stringify(raw.role)}`);
    }
  });
  return drafts;
}

function toolCalls(value: unknown, path: string): DraftToolCall[] {
  if (value === undefined || value === null) return [];
  expect(Array.isArray(value), `${path}: expected an array or null, got ${kindOf(value)}`);
  return value.map((call, i) => {
    expect(isRecord(call), `${path}[${i}]: expected an object, got ${kindOf(call)}`);
    expect(typeof call.name === "string", `${path}[${i}].name: expected a string, got ${kindOf(call.name)}`);
    expect(call.id === undefined || call.id === null || typeof call.id === "string", `${path}[${i}].id: expected a string, got ${kindOf(call.id)}`);
    return { id: call.id ?? null, name: call.name, type: "function", ...argumentsOf(call.arguments) };
  });
}

/** Fields worth keeping: tau2 text-mode messages carry many voice/audio fields that are null. */
function presentFields(value: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) kept[key] = v;
  return kept;
}

function extraOf(raw: Record<string, unknown>, mapped: string[]): { extra?: Record<string, unknown> } {
  const extra = presentFields(without(raw, mapped));
  return Object.keys(extra).length > 0 ? { extra } : {};
}
