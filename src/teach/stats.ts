import type { Domain } from "../records/trajectory.js";
import { REQUEST_REASONS, type TaughtSample } from "./candidates.js";

export interface DomainTeachStats {
  samples: number;
  kept_samples: number;
  rejected_samples: number;
  /** Kept records (more than kept_samples with --keep-all). */
  kept_records: number;
  unverifiable: number;
  /** Candidates asked (request failures included). */
  candidates: number;
  /** Candidates the teacher answered, and of those, the ones verified. */
  answered: number;
  passed: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Rejected candidates by reason. */
  reject_reasons: Record<string, number>;
  /** Samples by what they were verified against. */
  references: Record<string, number>;
}

export interface TeachStatsData {
  /** Input lines read = invalid + Σ samples. */
  read: number;
  invalid: number;
  duplicates: number;
  kept_samples: number;
  rejected_samples: number;
  domains: Partial<Record<Domain, DomainTeachStats>>;
}

const emptyDomain = (): DomainTeachStats => ({
  samples: 0,
  kept_samples: 0,
  rejected_samples: 0,
  kept_records: 0,
  unverifiable: 0,
  candidates: 0,
  answered: 0,
  passed: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  reject_reasons: {},
  references: {},
});

/** Counts of a teach run; plain JSON so that a checkpoint carries them across a resume. */
export class TeachStats {
  private constructor(readonly data: TeachStatsData) {}

  static empty(): TeachStats {
    return new TeachStats({ read: 0, invalid: 0, duplicates: 0, kept_samples: 0, rejected_samples: 0, domains: {} });
  }

  static from(data: TeachStatsData): TeachStats {
    return new TeachStats(structuredClone(data));
  }

  invalidLine(): void {
    this.data.read++;
    this.data.invalid++;
  }

  duplicate(domain: Domain): void {
    this.data.read++;
    this.data.duplicates++;
    this.data.rejected_samples++;
    const d = this.domain(domain);
    d.samples++;
    d.rejected_samples++;
  }

  taught({ kept, rejects, outcome }: TaughtSample): void {
    this.data.read++;
    const d = this.domain(outcome.domain);
    d.samples++;
    if (outcome.outcome === "kept") {
      this.data.kept_samples++;
      d.kept_samples++;
    } else {
      this.data.rejected_samples++;
      d.rejected_samples++;
    }
    if (outcome.reason === "unverifiable") d.unverifiable++;
    if (outcome.reference !== null) d.references[outcome.reference] = (d.references[outcome.reference] ?? 0) + 1;
    d.kept_records += kept.length;
    d.candidates += outcome.candidates;
    d.answered += outcome.candidates - rejects.filter((r) => REQUEST_REASONS.has(r.reason)).length;
    d.passed += outcome.kept.length;
    d.prompt_tokens += outcome.prompt_tokens;
    d.completion_tokens += outcome.completion_tokens;
    for (const r of rejects) d.reject_reasons[r.reason] = (d.reject_reasons[r.reason] ?? 0) + 1;
  }

  private domain(domain: Domain): DomainTeachStats {
    this.data.domains[domain] ??= emptyDomain();
    return this.data.domains[domain]!;
  }
}
