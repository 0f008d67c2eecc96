/** `on` replaces what it finds with placeholders; `report` only finds and counts; `off` does neither. */
export const REDACT_MODES = ["on", "report", "off"] as const;
export type RedactMode = (typeof REDACT_MODES)[number];

/** Every kind of secret or personal detail the redactor knows, as named in placeholders and summaries. */
export const SECRET_TYPES = [
  "aws-access-key",
  "aws-secret-key",
  "azure-storage-key",
  "azure-sas",
  "github-token",
  "gitlab-token",
  "openai-key",
  "anthropic-key",
  "huggingface-token",
  "slack-token",
  "slack-webhook",
  "stripe-key",
  "google-api-key",
  "npm-token",
  "pypi-token",
  "twilio-key",
  "sendgrid-key",
  "private-key",
  "jwt",
  "password",
  "bearer-token",
  "basic-auth",
  "authorization",
  "cookie",
  "generic-secret",
  "email",
  "phone-number",
  "ip-address",
  "payment-card",
  "iban",
  "home-user",
] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/** Findings counted by type. */
export type FindingCounts = Partial<Record<SecretType, number>>;

/** What replaces a secret: no quotes or backslashes, so JSON and argument strings stay valid. */
export function placeholder(type: SecretType): string {
  return `<SECRET:${type}>`;
}

export function addCounts(into: FindingCounts, from: FindingCounts): void {
  for (const [type, n] of Object.entries(from) as [SecretType, number][]) into[type] = (into[type] ?? 0) + n;
}

/** The counts with types in the fixed order of SECRET_TYPES (stable output). */
export function sortedCounts(counts: FindingCounts): FindingCounts {
  const sorted: FindingCounts = {};
  for (const type of SECRET_TYPES) if (counts[type]) sorted[type] = counts[type];
  return sorted;
}
