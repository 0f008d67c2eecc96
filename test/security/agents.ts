// Scripted hostile agents: the in-process OpenAI-compatible server plays the policy and answers each
// request of an episode with the attack's next tool call (after the last one, a final answer), so an
// attack goes through the same agent loop, tool dispatch and reward as a real rollout.
import type { Environment, ToolResult } from "../../src/envs/index.js";
import type { RolloutTask } from "../../src/records/rollout.js";
import type { EpisodeOutput } from "../../src/rollout/episode.js";
import type { OpenAIServer } from "../../src/testing/openai-server.js";
import { type ChatBody, episodeSettings, harness, type Harness, policyServer, turns } from "../rollout/harness.js";
import type { Canary } from "./canary.js";

export interface Step {
  tool: string;
  args: Record<string, unknown>;
}

export interface Attack {
  name: string;
  /** What the attack tries, and what the defence must show. */
  steps: Step[];
  /** Extra fields of the task (its test command, protected files). */
  task?: Partial<RolloutTask>;
  /** The final answer after the last step (default "done"). */
  answer?: string;
  /** Checks on what the agent saw and the episode's outcome (the host canaries are checked for every attack). */
  expect: (seen: Seen) => void;
}

export interface Seen {
  /** Each tool call's result, in order. */
  results: ToolResult[];
  /** Every result's text, joined (to search for leaked secrets). */
  text: string;
  output: EpisodeOutput;
}

export const bash = (command: string): Step => ({ tool: "bash", args: { command } });
export const view = (path: string, extra: Record<string, unknown> = {}): Step => ({ tool: "view", args: { path, ...extra } });
export const edit = (path: string, old_str: string, new_str: string): Step => ({ tool: "edit", args: { path, old_str, new_str } });
export const submit: Step = { tool: "submit", args: {} };

/** The server that plays every attack: the task's question names the attack. */
export async function attackServer(attacks: readonly Attack[], canary: Canary): Promise<OpenAIServer> {
  const byName = new Map(attacks.map((attack) => [attack.name, attack]));
  return policyServer((body: ChatBody) => {
    const name = String(body.messages.find((m) => m.role === "user")!.content).split("\n")[0]!;
    const attack = byName.get(name)!;
    const step = attack.steps[turns(body)];
    if (!step) return { content: attack.answer ?? "done" };
    const args = JSON.parse(canary.fill(JSON.stringify(step.args))) as Record<string, unknown>;
    return { content: "", tool_calls: [{ id: `call_${turns(body)}`, name: step.tool, arguments: JSON.stringify(args) }] };
  });
}

/** Runs every attack as an episode (`concurrency` at once) in `env`; what each saw, by name. */
export async function runAttacks(env: Environment, attacks: readonly Attack[], canary: Canary, task: Partial<RolloutTask>, concurrency = 4): Promise<Map<string, Seen>> {
  const server = await attackServer(attacks, canary);
  const run: Harness = await harness(env, server, episodeSettings({ maxSteps: 40, maxTokens: 32 }));
  const seen = new Map<string, Seen>();
  try {
    const queue = [...attacks];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let attack = queue.shift(); attack; attack = queue.shift()) {
          const output = await run.run({ id: attack.name, question: attack.name, ...task, ...attack.task } as RolloutTask);
          const results = output.transcript.flatMap((entry) => (entry.type === "message" && entry.results && entry.message.role === "tool" ? entry.results : []));
          seen.set(attack.name, { results: [...new Set(results)], text: results.map((r) => r.content).join("\n"), output });
        }
      }),
    );
  } finally {
    await run.client.close();
    await server.close();
  }
  return seen;
}
