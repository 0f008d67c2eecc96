import type { CommitPatch } from "./patch-parser.js";

/** Where a package declares its version, most trusted first, with the line that declares it. */
const DECLARATIONS: { kind: number; matches: (path: string) => boolean; line: RegExp }[] = [
  {
    kind: 0, // Python: __version__ = "1.2.3", __version__ = version = "…", VERSION = (1, 2, 3) — SWE-bench's patterns
    matches: (path) => /(^|\/)(__init__|__version__|_version|version|__about__|__pkginfo__|release)\.py$/.test(path) && !/(^|\/)(tests?|testing|docs?|examples?|benchmarks?)\//.test(path),
    line: /^(?:__version__\s*(?::\s*str\s*)?=\s*(?:version\s*=\s*)?['"]([^'"]+)['"]|VERSION\s*=\s*\(([^)]*)\))/,
  },
  { kind: 1, matches: (path) => path === "pyproject.toml", line: /^version\s*=\s*['"]([^'"]+)['"]/ },
  { kind: 2, matches: (path) => path === "setup.cfg", line: /^version\s*=\s*([^\s#;]+)/ },
  { kind: 3, matches: (path) => path === "setup.py", line: /\bversion\s*=\s*['"]([^'"]+)['"]/ },
  { kind: 4, matches: (path) => path === "package.json", line: /^\s*"version"\s*:\s*"([^"]+)"/ },
  { kind: 5, matches: (path) => path === "Cargo.toml", line: /^version\s*=\s*"([^"]+)"/ },
];

const declarationOf = new Map<string, (typeof DECLARATIONS)[number] | undefined>();

/** The kind of version declaration a path can hold (cached: histories name the same paths again and again). */
function declarationFor(path: string): (typeof DECLARATIONS)[number] | undefined {
  if (!declarationOf.has(path)) declarationOf.set(path, DECLARATIONS.find((d) => d.matches(path)));
  return declarationOf.get(path);
}

/** Whether a path can declare the package version (its changed lines are then read as text). */
export function isVersionFile(path: string): boolean {
  return declarationFor(path) !== undefined;
}

/**
 * SWE-bench's `version`: the package version declared in the repository's version file, cut to
 * major.minor and stripped of everything but digits and dots ("2.32.3" → "2.32", "(1, 4, 0)" → "1.4");
 * undefined when it does not start with two numbers.
 */
export function majorMinor(declared: string): string | undefined {
  const separator = declared.includes(",") && !declared.includes(".") ? "," : ".";
  const version = declared.trim().split(separator).slice(0, 2).join(".").replace(/[^0-9.]/g, "");
  return /^\d+\.\d+$/.test(version) ? version : undefined;
}

/**
 * Follows the version declarations of a repository through its first-parent diffs (oldest first, renames
 * followed): the last declaring line each candidate file added, dropped when the file or the line goes.
 */
export class VersionTracker {
  private readonly declared = new Map<string, { kind: number; version: string }>();

  apply(commit: CommitPatch): void {
    for (const file of commit.files) {
      if (file.status === "R" || file.status === "D") {
        const moved = this.declared.get(file.oldPath);
        this.declared.delete(file.oldPath);
        if (file.status === "R" && moved) this.declared.set(file.path, moved);
      }
      if (file.status === "D") continue;
      const declaration = declarationFor(file.path);
      if (!declaration) continue;
      for (const hunk of file.hunks) {
        const removes = (hunk.removed.text ?? []).some((line) => declaration.line.test(line));
        let added: string | undefined;
        for (const line of hunk.added.text ?? []) {
          const match = declaration.line.exec(line);
          const version = match ? majorMinor(match[1] ?? match[2] ?? "") : undefined;
          if (version) added = version;
        }
        if (added) this.declared.set(file.path, { kind: declaration.kind, version: added });
        else if (removes) this.declared.delete(file.path);
      }
    }
  }

  /** The version now: the most trusted kind of file, then the shallowest path, then the first by name. */
  current(): string | undefined {
    let best: { path: string; kind: number; version: string } | undefined;
    for (const [path, { kind, version }] of this.declared) {
      const depth = (p: string) => p.split("/").length;
      if (!best || kind < best.kind || (kind === best.kind && (depth(path) < depth(best.path) || (depth(path) === depth(best.path) && path < best.path)))) {
        best = { path, kind, version };
      }
    }
    return best?.version;
  }
}
