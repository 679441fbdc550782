import { describe, expect, it } from 'vitest';
import { boardkit } from './cli-process.js';

describe('boardkit firmware list (text)', () => {
  it('prints aligned columns: each value starts under its heading', async () => {
    const [text, json] = await Promise.all([boardkit(['firmware', 'list']), boardkit(['firmware', 'list', '--json'])]);
    expect(text.code, text.stderr).toBe(0);
    const artifacts = JSON.parse(json.stdout).artifacts as Array<Record<string, string>>;
    const lines = text.stdout.split('\n');
    const head = lines[0]!;
    const at = (name: string) => {
      const i = head.search(new RegExp(`(^| )${name}( |$)`));
      expect(i, `heading ${name} in ${JSON.stringify(head)}`).toBeGreaterThanOrEqual(0);
      return i === 0 ? 0 : i + 1;
    };
    const columns = { id: at('ID'), licence: at('LICENCE'), version: at('VERSION'), source: at('SOURCE') };
    for (const a of artifacts) {
      const line = lines.find((l) => l.startsWith(`${a.id} `));
      expect(line, a.id).toBeDefined();
      for (const [key, col] of Object.entries(columns)) {
        const where = `${a.id}: ${key} at column ${col} in ${JSON.stringify(line)}`;
        expect(line!.slice(col).startsWith(String(a[key])), where).toBe(true);
        if (col > 0) expect(line![col - 1], where).toBe(' ');
        expect(line![col], where).not.toBe(' ');
      }
    }
  });
});
