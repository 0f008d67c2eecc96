export type * from "./types.js";
export { sequenceMatcherRatio } from "./difflib.js";
export { gradeMrcr, mrcrEval, type MrcrGrade, type MrcrItem, type MrcrMessage } from "./mrcr.js";
export {
  EMPTY_GOLD_MODES,
  type EmptyGoldMode,
  type GraphwalksGrade,
  type GraphwalksItem,
  type GraphwalksOptions,
  gradeGraphwalks,
  graphwalksEval,
  PARSE_MODES,
  type ParseMode,
  parseFinalAnswer,
} from "./graphwalks.js";
export { EvalDataError, readDataRows, type DataRow } from "./rows.js";
export { loadItems, readResponses } from "./data.js";
export { generateGraphwalks, nodeId, renderGraphwalksPrompt, type GraphwalksGenerateOptions, type GraphwalksProblem } from "./generate-graphwalks.js";
export { generateMrcr, MRCR_NEEDLES, type MrcrGenerateOptions } from "./generate-mrcr.js";
export { builtinReplies, MRCR_FORMATS, MRCR_TOPICS, type ReplySource, textFileReplies } from "./mrcr-text.js";
export { CONTEXT_BINS, contextBin, type ContextBin } from "./bins.js";
export { countTokens, o200k } from "./tokens.js";
export { runEval, EvalUsageError, type AnswerSource, type EvalRunOptions, type EvalRunResult } from "./runner.js";
export { checkGraphwalksGold, evaluate, GRAPHWALKS_SPLIT, type EvaluateOptions, type GoldCheckResult } from "./evaluate.js";
export { checkGold, type GoldCheck, type GoldCheckSummary, type GraphwalksQuestion, parseGraphwalksPrompt, recomputeGold } from "./graphwalks-gold.js";
export { renderSummary, summarize, type EvalCounts, type EvalSummary, type ScoreTable } from "./report.js";
export { renderHtmlReport } from "./report-html.js";
export type { ResultRecord } from "./results.js";
