// Personal details: e-mail addresses and the user name in home folders.
import { escapedAt, isAlnum, isKeyChar, isSpaceOrEnd, startsWord } from "../text.js";
import type { Detector } from "./detector.js";

const EMAIL_LOCAL = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
const DOMAIN_CHAR = (c: number) => isAlnum(c) || c === 45 || c === 46;
/** Top-level domains that are file extensions in practice: `icon@2x.png`, `lib@1x.js`. */
const FILE_EXTENSIONS = new Set(
  "png jpg jpeg gif svg webp ico bmp js mjs cjs ts tsx jsx json css scss less html htm md txt py rb rs go java kt c h cpp hpp sh yml yaml toml lock xml map wasm zip gz tar pdf csv log".split(" "),
);
/** RFC 2606 / 6761 names that never reach a person, and the stand-in domains of docs and tests (`email@domain.com`, `you@yourdomain.com`). */
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$|(?:^|\.)(?:[\w-]*example[\w-]*|domain|yourdomain|mydomain|yourcompany|company|test|foo|bar)\.[a-z]+$/i;
/** Addresses no person reads (`noreply@anthropic.com` in every Claude Code commit trailer). */
const NO_PERSON = /^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster)$/i;

/** `local@domain.tld`, not `git@host:` remotes, `user:pass@host` URLs, `pkg@1.2.3` versions or `icon@2x.png` names. */
export const email: Detector = {
  keywords: ["@"],
  find(text, at, _keyword, out) {
    let start = at;
    while (start > 0 && EMAIL_LOCAL(text.charCodeAt(start - 1)) && !escapedAt(text, start - 1) && at - start < 64) start--;
    // The local part starts with a letter, digit or `_` (`+@pytest.fixture` in a diff is not an address).
    while (start < at && !isAlnum(text.charCodeAt(start)) && text.charCodeAt(start) !== 95) start++;
    if (start === at) return;
    const before = start > 0 ? text.charCodeAt(start - 1) : 0;
    if (before === 58 /* : */ || before === 47 /* / */) return;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR(text.charCodeAt(end))) end++;
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    const domain = text.slice(at + 1, end);
    const dot = domain.lastIndexOf(".");
    if (dot <= 0) return;
    const tld = domain.slice(dot + 1);
    if (!/^[A-Za-z]{2,24}$/.test(tld) || FILE_EXTENSIONS.has(tld.toLowerCase()) || RESERVED_DOMAIN.test(domain)) return;
    const local = text.slice(start, at);
    // `git@github.com:…`, pip's `git+git@…`: a remote, not an address.
    if (/(?:^|\+)git$/.test(local) || NO_PERSON.test(local) || (local.length === 1 && dot === 1)) return;
    // The user information of a URL (`postgres://app:p%40ss@db.corp.io`): the URL detector's.
    let word = start;
    while (word > 0 && !isSpaceOrEnd(text.charCodeAt(word - 1)) && at - word < 256) word--;
    if (text.slice(word, start).includes("://")) return;
    out.push({ start, end, type: "email" });
  },
};

const UNIX_USER = /[A-Za-z0-9_][A-Za-z0-9_.@-]*/y;
const WINDOWS_USER = /[^\\/"'<>:|*?\x00-\x1f]+/y;
/**
 * Home folders that are no person's: shared and placeholder folders (`/Users/Shared`, `/home/user`,
 * `/Users/USERNAME`) and the accounts of CI runners, cloud images, containers and dev environments.
 */
const NOT_A_PERSON = new Set([
  "shared", "public", "default", "default user", "all users", "guest", "user", "username", "yourname", "you", "me", "name", "your_user", "your-user",
  "runner", "runneradmin", "ubuntu", "debian", "centos", "fedora", "alpine", "admin", "administrator", "node", "jovyan", "vscode", "ec2-user",
  "circleci", "gitpod", "codespace", "codespaces", "travis", "jenkins", "vagrant", "docker", "app", "appuser", "www-data", "nobody", "builder",
  "build", "ci", "coder", "developer", "dev", "azureuser", "cloudshell-user", "opc", "pi", "linuxbrew", "sandbox", "agent", "openhands", "swe",
  "root", "daemon", "ftp", "git", "postgres", "mysql", "redis", "nginx", "apache", "hadoop", "spark", "airflow", "jupyter", "rstudio", "conda",
  "bitnami", "buildkite-agent", "gitlab-runner", "teamcity", "bamboo", "semaphore", "runner-user", "vsts", "vsts_azpcontainer", "cloudbuild",
  "appveyor", "foo", "bar", "baz", "foobar", "example", "test", "tester", "demo", "someone", "somebody", "yourusername", "your-name", "myuser",
]);

/**
 * A name with spaces (`C:\Users\Jane Roe\Documents`) is taken whole only when a folder clearly follows:
 * backslashes, then an upper-case letter, digit, dot or underscore. A lower-case letter after a backslash
 * may be an escape (`\n`), and must read the same in a text and in its JSON encoding.
 */
function windowsFolderFollows(text: string, at: number): boolean {
  let i = at;
  while (text.charCodeAt(i) === 92) i++;
  return i > at && /[A-Z0-9._]/.test(text[i] ?? "");
}

/** `/home/<user>`, `/Users/<user>`, `C:\Users\<user>`: the user name goes, the path stays. */
export const homeUser: Detector = {
  keywords: ["/home/", "/users/", "users\\"],
  find(text, at, keyword, out) {
    let nameStart = at + keyword.length;
    let pattern = UNIX_USER;
    if (keyword.endsWith("\\")) {
      // C:\Users\bob, or with each backslash escaped once (raw JSON) or more (JSON of a Python repr).
      if (!/^[Uu]sers/.test(text.slice(at, at + 5))) return;
      let colon = at;
      while (colon > 0 && text.charCodeAt(colon - 1) === 92) colon--;
      if (colon === at || text.charCodeAt(colon - 1) !== 58 || !/[A-Za-z]/.test(text[colon - 2] ?? "")) return;
      while (text.charCodeAt(nameStart) === 92) nameStart++;
      pattern = WINDOWS_USER;
    } else if (!(text.startsWith("/home/", at) || text.startsWith("/Users/", at)) || !startsWord(text, at, isKeyChar)) {
      return;
    }
    pattern.lastIndex = nameStart;
    const match = pattern.exec(text);
    if (match === null) return;
    let name = match[0];
    if (pattern === WINDOWS_USER && name.includes(" ") && !windowsFolderFollows(text, nameStart + name.length)) name = name.slice(0, name.indexOf(" "));
    if (name.length === 0 || NOT_A_PERSON.has(name.toLowerCase()) || name.startsWith("$") || /^\{|^<|^%/.test(name)) return;
    out.push({ start: nameStart, end: nameStart + name.length, type: "home-user" });
  },
};
