// Server-sent events (the WHATWG event-stream format) from a byte stream: what an OpenAI-compatible server streams a
// chat completion as. Incremental: bytes arrive in arbitrary pieces (a UTF-8 character or a line may be split), and
// every complete event is handed out as soon as its blank line arrives. Bounded: an event larger than maxEventBytes
// is an error, never an unbounded buffer.

export interface SseEvent {
  /** The `event:` field ('message' when absent). */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

export class SseError extends Error {
  override readonly name = 'SseError';
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private dataLines: string[] = [];
  private dataBytes = 0;
  private eventName = '';
  private first = true;

  constructor(private readonly onEvent: (e: SseEvent) => void, private readonly maxEventBytes = 8 * 1024 * 1024) {}

  push(bytes: Uint8Array): void {
    this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** The stream ended: an event not closed by a blank line is still dispatched (servers that omit the last one). */
  end(): void {
    this.feed(this.decoder.decode());
    if (this.buffer.length) { this.line(this.buffer); this.buffer = ''; }
    this.dispatch();
  }

  private feed(text: string): void {
    if (this.first && text.length) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    if (this.buffer.length > this.maxEventBytes) throw new SseError(`an event-stream line longer than ${this.maxEventBytes} bytes`);
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      if (lf < 0 && cr < 0) break;
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // a lone CR ends a line too; CRLF counts once (wait for the next byte when CR is the last one)
        if (cr === this.buffer.length - 1) break;
        end = cr;
        next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else {
        end = lf!;
        next = lf! + 1;
      }
      this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') { this.dispatch(); return; }
    if (line.startsWith(':')) return; // comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataBytes += value.length + 1;
      if (this.dataBytes > this.maxEventBytes) throw new SseError(`an event larger than ${this.maxEventBytes} bytes`);
      this.dataLines.push(value);
    } else if (field === 'event') {
      this.eventName = value;
    }
    // id, retry and unknown fields are ignored
  }

  private dispatch(): void {
    if (this.dataLines.length === 0) { this.eventName = ''; return; }
    const e: SseEvent = { event: this.eventName || 'message', data: this.dataLines.join('\n') };
    this.dataLines = [];
    this.dataBytes = 0;
    this.eventName = '';
    this.onEvent(e);
  }
}
