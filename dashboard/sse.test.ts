import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('event-stream parser', () => {
  it('joins data lines, names events, skips comments, and waits for the blank line across chunks', () => {
    const parser = new SseParser();
    expect(parser.push('retry: 3000\n\n: keepalive\n\nid: 1\nevent: status\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\n\nid: 2\ndata: x\ndata: y\r\n\r')).toEqual([{ event: 'status', data: '{"a":1}' }]);
    expect(parser.push('\nevent: orders\ndata:{"items":[]}\n\n')).toEqual([
      { event: 'message', data: 'x\ny' },
      { event: 'orders', data: '{"items":[]}' },
    ]);
  });
});
