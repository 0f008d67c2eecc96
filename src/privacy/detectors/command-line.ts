// Passwords given to commands by short flags, which no key name announces: `mysql -pS3cret`,
// `sshpass -p S3cret ssh …`, `redis-cli -a S3cret`, `docker login -u me -p S3cret`,
// `curl -u me:S3cret …`. (`--password …` and `--password=…` are found as assignments.)
import { closingQuote, isBlank, isSpaceOrEnd, isTokenChar, lineEnd, startsWord } from "../text.js";
import { isPasswordValue } from "../values.js";
import type { Detector, Finding } from "./detector.js";

/** How a command takes a password: the flag, and whether its value is attached (`-pX`), separate (`-p X`) or either. */
interface PasswordFlag {
  flag: string;
  value: "attached" | "separate" | "either";
  /** `user:password`: only what follows the first colon is the password. */
  userColon?: boolean;
}

const COMMANDS: Record<string, readonly PasswordFlag[]> = {
  // mysql's `-p X` prompts and takes X as the database: only the attached form holds a password.
  mysql: [{ flag: "-p", value: "attached" }],
  mysqldump: [{ flag: "-p", value: "attached" }],
  mysqladmin: [{ flag: "-p", value: "attached" }],
  mariadb: [{ flag: "-p", value: "attached" }],
  "mariadb-dump": [{ flag: "-p", value: "attached" }],
  sshpass: [{ flag: "-p", value: "either" }],
  "redis-cli": [{ flag: "-a", value: "either" }],
  login: [{ flag: "-p", value: "separate" }],
  curl: [{ flag: "-u", value: "either", userColon: true }, { flag: "--user", value: "separate", userColon: true }, { flag: "--proxy-user", value: "separate", userColon: true }, { flag: "-U", value: "separate", userColon: true }],
};
/** `login` is a password-taking subcommand only after a registry client. */
const LOGIN_CLIENTS = /\b(?:docker|podman|nerdctl|buildah|skopeo|helm(?: registry)?|oras|crane|regctl)\s+$/;

/** The shell word at `i`: quoted (`'…'`, `"…"`) or up to the next space; [start, end) without quotes. */
function word(text: string, i: number, end: number): { start: number; end: number; quoted: boolean } | undefined {
  const c = text.charCodeAt(i);
  if (c === 39 || c === 34) {
    // In single quotes nothing is escaped; in double quotes `\"` is.
    const close = c === 39 ? text.indexOf("'", i + 1) : closingQuote(text, i + 1, '"');
    return close === -1 || close > end ? undefined : { start: i + 1, end: close, quoted: true };
  }
  let j = i;
  while (j < end && !isSpaceOrEnd(text.charCodeAt(j))) j++;
  return j > i ? { start: i, end: j, quoted: false } : undefined;
}

export const commandLine: Detector = {
  keywords: Object.keys(COMMANDS),
  find(text, at, keyword, out) {
    const flags = COMMANDS[keyword];
    if (flags === undefined || !startsWord(text, at, (c) => isTokenChar(c) || c === 46 || c === 47) || !isSpaceOrEnd(text.charCodeAt(at + keyword.length))) return;
    if (keyword === "login" && !LOGIN_CLIENTS.test(text.slice(Math.max(0, at - 40), at))) return;
    const end = lineEnd(text, at, 400);
    // Each argument up to the end of the command (a pipe, `;`, `&&` or the line's end).
    for (let i = at + keyword.length; i < end; ) {
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      const c = text.charCodeAt(i);
      if (c === 124 || c === 59 || c === 38) return; // | ; &
      const arg = word(text, i, end);
      if (arg === undefined) return;
      const found = passwordOf(text, arg, flags, end);
      if (found !== undefined) out.push(found);
      i = arg.end + (arg.quoted ? 1 : 0);
    }
  },
};

function passwordOf(text: string, arg: { start: number; end: number; quoted: boolean }, flags: readonly PasswordFlag[], end: number): Finding | undefined {
  const token = text.slice(arg.start, arg.end);
  for (const { flag, value, userColon } of flags) {
    let start = -1;
    let stop = -1;
    let quoted = false;
    if (token === flag && value !== "attached") {
      let next = arg.end;
      while (next < end && isBlank(text.charCodeAt(next))) next++;
      const separate = word(text, next, end);
      if (separate === undefined) continue;
      [start, stop, quoted] = [separate.start, separate.end, separate.quoted];
    } else if (token.startsWith(flag) && token.length > flag.length && value !== "separate" && !arg.quoted && !token.startsWith("--")) {
      start = arg.start + flag.length;
      stop = arg.end;
      const q = text.charCodeAt(start);
      if ((q === 39 || q === 34) && text.charCodeAt(stop - 1) === q && stop - start >= 2) [start, stop, quoted] = [start + 1, stop - 1, true];
    } else {
      continue;
    }
    if (userColon) {
      const colon = text.indexOf(":", start);
      if (colon === -1 || colon >= stop) continue;
      start = colon + 1;
    }
    if (stop > start && isPasswordValue(text.slice(start, stop), { whole: true, quoted: quoted || userColon === true, certain: true })) return { start, end: stop, type: "password" };
  }
  return undefined;
}
