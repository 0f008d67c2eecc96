import type { Domain } from "../records/trajectory.js";
import type { ExportTarget, ReasoningMode } from "./rows.js";

export interface CardStats {
  samples: number;
  domains: Partial<Record<Domain, { samples: number; prompt_tokens: number[] }>>;
  tokenizers: string[];
}

function sizeCategory(n: number): string {
  const bounds: [number, string][] = [[1e3, "n<1K"], [1e4, "1K<n<10K"], [1e5, "10K<n<100K"], [1e6, "100K<n<1M"], [1e7, "1M<n<10M"]];
  return bounds.find(([limit]) => n < limit)?.[1] ?? "10M<n<100M";
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const LOADING: Record<ExportTarget, string> = {
  trl: "```python\nfrom datasets import load_dataset\nfrom trl import SFTConfig, SFTTrainer\n\ndataset = load_dataset(\"json\", data_files=\"train.jsonl\", split=\"train\")\n# conversational format: each row has `messages`; train on the assistant turn only\nconfig = SFTConfig(assistant_only_loss=True, max_length=131072)\n```",
  axolotl: "```yaml\ndatasets:\n  - path: train.jsonl\n    type: chat_template\n    field_messages: messages\n    roles_to_train: [assistant]\n```",
  llamafactory: "Copy `dataset_info.json`'s entry into LLaMA-Factory's `data/dataset_info.json` (or point `dataset_dir` here), then use `dataset: acc_samples` with `template:` your model's template.",
  openai: "Upload `train.jsonl` as a fine-tuning file (`purpose=fine-tune`); each row is `{\"messages\": [...]}`.",
  parquet: "```python\nfrom datasets import load_dataset\n\ndataset = load_dataset(\"parquet\", data_files=\"train.parquet\", split=\"train\")\n```",
};

/** README.md with the YAML metadata block the Hugging Face Hub reads (configs, size, tags). */
export function datasetCard(options: { name: string; target: ExportTarget; reasoning: ReasoningMode; dataFile: string; stats: CardStats }): string {
  const { stats } = options;
  const rows = Object.entries(stats.domains).map(([domain, d]) => {
    const sorted = [...d!.prompt_tokens].sort((a, b) => a - b);
    return `| ${domain} | ${d!.samples} | ${percentile(sorted, 50)} | ${percentile(sorted, 90)} | ${sorted[sorted.length - 1] ?? 0} |`;
  });
  return `---
language:
- en
license: other
task_categories:
- question-answering
- text-generation
tags:
- long-context
- agent-trajectories
- agent-context-compilation
size_categories:
- ${sizeCategory(stats.samples)}
configs:
- config_name: default
  data_files:
  - split: train
    path: ${options.dataFile}
---

# ${options.name}

Long-context question answering samples compiled from agent trajectories with
[acc](https://www.npmjs.com/package/agent-context-compiler) (Agent Context Compilation): each prompt
holds the original question and the evidence the agent's tool calls gathered, shuffled among
distractors and packed to an exact token budget; the answer and its reasoning are the target.

- Samples: ${stats.samples}
- Format: ${options.target} (\`${options.dataFile}\`)
- Reasoning: ${options.reasoning === "think" ? "inside `<think>…</think>` before the answer" : options.reasoning === "field" ? "in `reasoning_content` of the assistant message" : "not included"}
- Token counts by: ${stats.tokenizers.join(", ") || "-"} (prompt including the chat template)

| domain | samples | prompt tokens p50 | p90 | max |
|---|---|---|---|---|
${rows.join("\n")}

## Loading

${LOADING[options.target]}

## Licence

The samples contain text from the source agent logs and the pages, files and tables they read:
check the licences of those sources before redistributing.
`;
}
