import { accTrajectoryImporter } from "./acc-trajectory.js";
import { atifImporter } from "./atif.js";
import type { Importer } from "./types.js";
import { openaiChatImporter } from "./openai-chat.js";
import { openaiResponsesImporter } from "./openai-responses/importer.js";
import { anthropicImporter } from "./anthropic/importer.js";
import { sharegptImporter } from "./sharegpt/importer.js";
import { reactTextImporter } from "./react-text/importer.js";
import { tauBenchImporter } from "./tau-bench.js";
import { sweAgentImporter } from "./swe-agent.js";
import { miniSweAgentImporter } from "./mini-swe-agent.js";
import { openhandsV0Importer } from "./openhands-v0/importer.js";
import { openhandsV1Importer } from "./openhands-v1/importer.js";
import { tau2BenchImporter } from "./tau2-bench/importer.js";
import { spiderAgentImporter } from "./spider-agent/importer.js";
import { miroflowImporter } from "./miroflow/importer.js";
import { toolbenchImporter } from "./toolbench/importer.js";
import { searchTagsImporter } from "./search-tags/importer.js";
import { claudeCodeImporter } from "./claude-code/importer.js";
import { codexImporter } from "./codex/importer.js";

/** Every importer, in the order that breaks detection ties (more specific formats first). */
export const importers: readonly Importer[] = [
  accTrajectoryImporter,
  atifImporter,
  tauBenchImporter,
  sweAgentImporter,
  miniSweAgentImporter,
  openhandsV0Importer,
  openhandsV1Importer,
  tau2BenchImporter,
  spiderAgentImporter,
  miroflowImporter,
  toolbenchImporter,
  searchTagsImporter,
  claudeCodeImporter,
  codexImporter,
  openaiResponsesImporter,
  anthropicImporter,
  reactTextImporter,
  sharegptImporter,
  openaiChatImporter,
];

export function importerFor(format: string): Importer | undefined {
  return importers.find((importer) => importer.format === format);
}
