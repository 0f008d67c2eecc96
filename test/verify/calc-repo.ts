import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/collect.js";

/** The fix of the calc repository's two bugs (add subtracts, neg adds), as git writes it. */
export const GOLD = `diff --git a/calc/lib.sh b/calc/lib.sh
index 1111111..2222222 100644
--- a/calc/lib.sh
+++ b/calc/lib.sh
@@ -1,6 +1,6 @@
 # arithmetic helpers
-add() { echo $(( $1 - $2 )); }
+add() { echo $(( $1 + $2 )); }
 sub() { echo $(( $1 - $2 )); }
 mul() { echo $(( $1 * $2 )); }
-neg() { echo $(( 0 + $1 )); }
+neg() { echo $(( 0 - $1 )); }
 # end
`;

/** A git repository with a shell library with two bugs and a test script (`sh test.sh`) that catches both. */
export function calcRepo(): { repo: string; base: string } {
  const repo = tempDir("acc-patch-repo-");
  mkdirSync(join(repo, "calc"));
  writeFileSync(join(repo, "calc/lib.sh"), "# arithmetic helpers\nadd() { echo $(( $1 - $2 )); }\nsub() { echo $(( $1 - $2 )); }\nmul() { echo $(( $1 * $2 )); }\nneg() { echo $(( 0 + $1 )); }\n# end\n");
  writeFileSync(join(repo, "test.sh"), '. ./calc/lib.sh\n[ "$(add 2 3)" = 5 ] || { echo "add 2 3 gave $(add 2 3)"; exit 1; }\n[ "$(neg 4)" = -4 ] || { echo "neg 4 gave $(neg 4)"; exit 1; }\n');
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base");
  return { repo, base: git("rev-parse", "HEAD") };
}

