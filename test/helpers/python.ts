import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const venvPython = resolve(join(import.meta.dirname, "../../.venv-checks/bin/python"));

/** A python3 that can import `modules`, or undefined (tests then skip with `pythonMissing`). */
export function pythonWith(...modules: string[]): string | undefined {
  for (const candidate of [venvPython, "python3"]) {
    if (candidate === venvPython && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ["-c", modules.map((m) => `import ${m}`).join("; ") || "pass"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

export function pythonMissing(...modules: string[]): string | false {
  return pythonWith(...modules) === undefined
    ? `python3 with ${modules.join(", ") || "the standard library"} not found (run scripts/setup-python-checks.sh); cross-check skipped`
    : false;
}
