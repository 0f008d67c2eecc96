/** What a command printed, without the agent framework's wrapping. */
export interface CommandOutput {
  text: string;
  /** The framework reported a non-zero exit status. */
  failed: boolean;
  /** The framework cut the middle out (only the start is in `text`). */
  truncated: boolean;
}

/** mini-swe-agent: `<returncode>N</returncode>` then `<output>…</output>`, or a warning and head/tail. */
const MINI_SWE = /^\s*<returncode>(-?\d+)<\/returncode>\s*/;
const OPENHANDS_EXIT = /\n?\[(?:The command completed with exit code|Command finished with exit code) (-?\d+)\.?\]/;
const TRAILERS = [
  // OpenHands
  /\n?\[Current working directory: [^\]\n]*\]/g,
  /\n?\[Python interpreter: [^\]\n]*\]/g,
  /\n?\[Command finished execution\]/g,
  // SWE-agent
  /\n\(Open file: [^)\n]*\)\n\(Current directory: [^)\n]*\)\n?(?:bash-\$)?\s*$/,
];

/**
 * The printed text of a shell tool's result as mini-swe-agent, OpenHands and SWE-agent wrap it
 * (return code tags, exit-code and working-directory trailers, CRLF line ends); other text as it is.
 */
export function commandOutput(content: string): CommandOutput {
  let text = content.replaceAll("\r\n", "\n");
  let failed = false;
  let truncated = false;
  const mini = MINI_SWE.exec(text);
  if (mini) {
    failed = Number(mini[1]) !== 0;
    const rest = text.slice(mini[0].length);
    const whole = /^<output>\n?([\s\S]*?)\n?<\/output>\s*$/.exec(rest);
    const head = /<output_head>\n?([\s\S]*?)\n?<\/output_head>/.exec(rest);
    if (whole) text = whole[1]!;
    else if (head) {
      text = head[1]!;
      truncated = true;
    } else text = rest;
  }
  const exit = OPENHANDS_EXIT.exec(text);
  if (exit) {
    failed ||= Number(exit[1]) !== 0;
    text = text.replace(OPENHANDS_EXIT, "");
  }
  for (const trailer of TRAILERS) text = text.replace(trailer, "");
  if (text.startsWith("OBSERVATION:\n")) text = text.slice("OBSERVATION:\n".length);
  return { text, failed, truncated };
}
