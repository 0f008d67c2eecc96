// Credentials before the `@` of a URL (`postgres://app:S3cret@db/app`, `jdbc:mysql://root:pw@h/db`,
// `https://<token>@github.com/…`) and Oracle's `user/password@service` (`sqlplus scott/tiger@orcl`,
// `jdbc:oracle:thin:scott/tiger@//host:1521/svc`).
import { isAlnum, isSpaceOrEnd } from "../text.js";
import { isPlaceholder, isTokenValue } from "../values.js";
import type { Detector } from "./detector.js";

/** What ends a URL's user information on its left: a space, a quote, a bracket, an escape. */
const OUTSIDE_URL = (c: number) => isSpaceOrEnd(c) || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 92 || c === 40 || c === 91;

/** Passwords that stand for a password (`:password@`, `:pass@`, `:***@`, `:${DB_PASSWORD}@`). */
const PLACEHOLDER_PASSWORD = /^(?:pass(?:word)?|pwd|secret|x+|\*+|\.\.\.|…)$/i;
/**
 * Hosts of examples (RFC 2606 / 6761): `http://abc:xyz@example.com` in docs is no one's password.
 * Not `localhost`: a local database's password is often the one used everywhere else.
 */
const EXAMPLE_HOST = /^(?:[\w-]+\.)*(?:example(?:\.(?:com|net|org))?|test|invalid)(?![\w.-])/i;

/** Commands that take Oracle's `user/password@connect` argument. */
const ORACLE_COMMANDS = /(?:^|[\s;|&(])(?:sqlplus|sqlldr|expdp|impdp|exp|imp|rman|dgmgrl|tkprof|sql)(?:\s+-\S+)*\s+$/;

/** `a:b@`, `foo001:bar002@`: a user and a password that are both stand-ins. */
function standIns(user: string, password: string): boolean {
  const standIn = (s: string) => s.length <= 1 || /^(?:foo|bar|baz|qux|quux|user(?:name)?|pass(?:word)?|secret|test|admin|alice|bob)\d{0,3}$/i.test(s);
  return standIn(user) && standIn(password);
}

export const urlCredentials: Detector = {
  keywords: ["@"],
  find(text, at, _keyword, out) {
    // The host follows: a letter or digit, or `[` of an IPv6 address, or `/` of Oracle's `@//host`.
    const host = text.charCodeAt(at + 1);
    if (!(isAlnum(host) || host === 91 || host === 47)) return;
    let from = at;
    while (from > 0 && !OUTSIDE_URL(text.charCodeAt(from - 1)) && at - from < 2048) from--;
    if (EXAMPLE_HOST.test(text.slice(at + 1, at + 64))) return;
    const before = text.slice(from, at);
    const scheme = before.lastIndexOf("://");
    // (`jdbc:sqlserver://host:1433;user=sa;password={p@ss}`: properties after the host, no user information; the assignment detector's.)
    if (scheme !== -1 && !before.slice(scheme + 3).includes("/") && !/sqlserver$/i.test(before.slice(0, scheme))) {
      const userInfo = from + scheme + 3;
      const colon = text.indexOf(":", userInfo);
      if (colon !== -1 && colon < at) {
        const password = text.slice(colon + 1, at);
        if (password.length > 0 && !isPlaceholder(password) && !PLACEHOLDER_PASSWORD.test(password) && !standIns(text.slice(userInfo, colon), password)) {
          out.push({ start: colon + 1, end: at, type: "password" });
        }
      } else if (isTokenValue(text.slice(userInfo, at))) {
        // `https://<token>@host`: a user name that is a random token is a credential.
        out.push({ start: userInfo, end: at, type: "password" });
      }
      return;
    }
    // Oracle: `user/password@connect`, after `:thin:` or an Oracle command.
    const thin = before.lastIndexOf(":thin:");
    const credentialsAt = thin === -1 ? from : from + thin + 6;
    if (thin === -1 && !ORACLE_COMMANDS.test(text.slice(Math.max(0, from - 60), from))) return;
    const credentials = text.slice(credentialsAt, at);
    const slash = credentials.indexOf("/");
    if (slash <= 0 || credentials.indexOf("/", slash + 1) !== -1 || !/^[A-Za-z][\w$#.]*$/.test(credentials.slice(0, slash))) return;
    const password = credentials.slice(slash + 1);
    if (password.length > 0 && !isPlaceholder(password) && !PLACEHOLDER_PASSWORD.test(password)) out.push({ start: credentialsAt + slash + 1, end: at, type: "password" });
  },
};
