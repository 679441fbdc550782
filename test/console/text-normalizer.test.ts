import { describe, expect, it } from 'vitest';
import { TextNormalizer } from '../../src/console/text-normalizer.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function feedAll(chunks: string[] | Uint8Array[]): string {
  const n = new TextNormalizer();
  let out = '';
  for (const c of chunks) out += n.push(typeof c === 'string' ? enc(c) : c);
  return out + n.flush();
}

describe('TextNormalizer', () => {
  it('strips ANSI colour and cursor sequences, including ones split across reads', () => {
    expect(feedAll(['\x1b[1;32mOK\x1b[0m done\n'])).toBe('OK done\n');
    expect(feedAll(['Linux ver\x1b[', '0;3', '1msion 6\x1b[0m\n'])).toBe('Linux version 6\n');
    expect(feedAll(['\x1b]0;title\x07prompt\x1b[2K\x1b[?25h#'])).toBe('prompt#');
  });

  it('normalises CRLF, LFCR and lone CR to LF, also when CR and LF arrive in separate reads', () => {
    expect(feedAll(['a\r\nb\n\rc\rd'])).toBe('a\nb\nc\nd');
    expect(feedAll(['a\r', '\nb\r', 'c'])).toBe('a\nb\nc');
  });

  it('decodes UTF-8 characters split across reads', () => {
    const bytes = enc('µs ✓\n');
    expect(feedAll([bytes.subarray(0, 1), bytes.subarray(1, 5), bytes.subarray(5)])).toBe('µs ✓\n');
  });
});
