export { REDACT_MODES, type RedactMode, SECRET_TYPES, type SecretType, type FindingCounts, placeholder } from "./types.js";
export { findSecrets, redactText } from "./scan.js";
export type { Span as SecretSpan } from "./scan.js";
export { Redactor } from "./redactor.js";
export { redactTrajectory } from "./trajectory.js";
export { forEachNgram, type NgramVisitor } from "./ngrams.js";
export { NgramSet, NgramSetBuilder } from "./ngram-set.js";
export { evalSource, evalTexts, type EvalSource } from "./eval-sources.js";
export {
  decontaminate,
  DecontaminateError,
  DECONTAMINATE_MODES,
  DEFAULT_NGRAM,
  type ContaminationRecord,
  type DecontaminateMode,
  type DecontaminateOptions,
  type DecontaminateReport,
  type EvalSetReport,
} from "./decontaminate.js";
