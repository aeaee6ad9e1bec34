// Server-sent events read with fetch, which (unlike EventSource) sends the Authorization header,
// so the API token never goes into a URL. The parser follows the event-stream format: `event:`
// and `data:` lines, a blank line ends an event, lines starting with ':' are comments.

export interface SseMessage {
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** Feeds a chunk of text; answers the events it completed. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (this.data.length > 0) messages.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return messages;
  }
}

export class Unauthorized extends Error {}

/**
 * Reads the stream until it ends or `signal` aborts; throws Unauthorized on 401, another error
 * when the stream cannot be opened or breaks (the caller reconnects).
 */
export async function readEventStream(url: string, token: string | null, onMessage: (message: SseMessage) => void, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    cache: 'no-store',
    signal,
  });
  if (response.status === 401) throw new Unauthorized('the API token was refused');
  if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
  const parser = new SseParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const message of parser.push(value)) onMessage(message);
  }
}
