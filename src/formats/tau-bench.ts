import { convertOpenAIMessages, THINK_MARKUP } from "./common/openai-messages.js";
import { expect, rowsImporter } from "./common/rows.js";
import { isRecord, without } from "./common/text.js";

/** tau-bench `EnvRunResult`s: {task_id, reward, info, traj (OpenAI chat), trial}. Tool-call ids are reused. */
export const tauBenchImporter = rowsImporter({
  format: "tau-bench",
  description: "tau-bench results: [{task_id, reward, info, traj, trial}] with OpenAI chat messages",
  dropRules: [THINK_MARKUP],
  detectRow(row) {
    return Array.isArray(row.traj) && "task_id" in row && "reward" in row ? 0.9 : 0;
  },
  convertRow(row, locator) {
    expect(typeof row.reward === "number", "reward: expected a number");
    const info = isRecord(row.info) ? row.info : {};
    const task = isRecord(info.task) ? info.task : {};
    const messages = convertOpenAIMessages(row.traj, "traj");
    return {
      locator,
      task: {
        instance_id: String(row.task_id),
        ...(typeof task.instruction === "string"
          ? { question: task.instruction, question_origin: "dataset_field" as const }
          : {}),
      },
      messages,
      outcome: { reward: row.reward, success: row.reward >= 1, label_source: "tau_bench.reward" },
      extra: { ...without(row, ["traj", "reward"]) },
    };
  },
});
