import { isRecord } from "../common/text.js";

const SECTIONS: [key: string, title: string][] = [
  ["reason_for_call", "Reason for call"],
  ["known_info", "Known info"],
  ["unknown_info", "Unknown info"],
  ["task_instructions", "Task instructions"],
];

/**
 * A tau2 task's `user_scenario.instructions` as text: a plain string as is; structured instructions rendered
 * the way tau2's `StructuredUserInstructions.__str__` does (a `Domain:` line, then each present section, tab-indented).
 */
export function renderUserInstructions(instructions: unknown): string | undefined {
  if (typeof instructions === "string") return instructions;
  if (!isRecord(instructions)) return undefined;
  const lines: string[] = [];
  if (typeof instructions.domain === "string") lines.push(`Domain: ${instructions.domain}`);
  for (const [key, title] of SECTIONS) {
    const value = instructions[key];
    if (typeof value === "string") lines.push(`${title}:\n${indent(value, "\t")}`);
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}

/** Python's `textwrap.indent`: the prefix goes before every line that is not whitespace only. */
function indent(text: string, prefix: string): string {
  return text
    .split(/(?<=\n)/)
    .map((line) => (line.trim() === "" ? line : prefix + line))
    .join("");
}
