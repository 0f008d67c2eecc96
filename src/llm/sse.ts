/**
 * An incremental Server-Sent Events parser for chat-completion streams: feed it text as it arrives
 * (split anywhere, even inside a line) and it returns the `data` payloads of the events completed so far.
 * Multi-line data is joined with "\n"; comments (":") and other fields (event, id, retry) are ignored.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];

  feed(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const newline = this.buffer.indexOf("\n", start);
      if (newline === -1) break;
      let line = this.buffer.slice(start, newline);
      start = newline + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      this.line(line, events);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Payloads of an event left open when the stream ended without its blank line. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== "") this.line(this.buffer, events);
    this.buffer = "";
    this.line("", events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push(this.data.join("\n"));
      this.data = [];
      return;
    }
    if (!line.startsWith("data:")) return;
    this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
  }
}
