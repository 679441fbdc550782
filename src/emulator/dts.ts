import { BoardkitError } from '../core/errors.js';

/**
 * A small reader for the DTS text `dtc -I dtb -O dts` prints (Devicetree Specification v0.4 §6):
 * nodes `name@unit {`, properties `name = <cells>, "strings", [bytes];` or `name;`, labels
 * `label: name {`. Enough to find nodes by name and read `reg` with the parent's #address-cells
 * and #size-cells (§2.3.5, §2.3.6; defaults 2 and 1).
 */
export type DtsValue =
  | { kind: 'cells'; cells: bigint[] }
  | { kind: 'string'; value: string }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'ref'; path: string };

export interface DtsNode {
  /** Full node name, e.g. `serial@10000000` (`/` for the root). */
  name: string;
  /** Path from the root, e.g. `/soc/serial@10000000`. */
  path: string;
  properties: Map<string, DtsValue[]>;
  children: DtsNode[];
  parent: DtsNode | undefined;
}

export function parseDts(text: string): DtsNode {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (t === undefined) throw new BoardkitError('E_DTS', 'infrastructure', 'unexpected end of DTS text');
    return t;
  };
  const expect = (t: string) => {
    const got = next();
    if (got !== t) throw new BoardkitError('E_DTS', 'infrastructure', `DTS: expected '${t}', got '${got}'`);
  };
  let root: DtsNode | undefined;

  const parseNodeBody = (node: DtsNode) => {
    expect('{');
    while (peek() !== '}') {
      let name = next();
      if (peek() === ':') {
        // `label: name` — skip the label.
        next();
        name = next();
      }
      if (peek() === '{') {
        const child: DtsNode = { name, path: node.path === '/' ? `/${name}` : `${node.path}/${name}`, properties: new Map(), children: [], parent: node };
        node.children.push(child);
        parseNodeBody(child);
        continue;
      }
      const values: DtsValue[] = [];
      if (peek() === '=') {
        next();
        for (;;) {
          const t = next();
          if (t === '<') {
            const cells: bigint[] = [];
            while (peek() !== '>') cells.push(parseCell(next()));
            next();
            values.push({ kind: 'cells', cells });
          } else if (t === '[') {
            const bytes: number[] = [];
            while (peek() !== ']') {
              const hex = next();
              for (let k = 0; k < hex.length; k += 2) bytes.push(Number.parseInt(hex.slice(k, k + 2), 16));
            }
            next();
            values.push({ kind: 'bytes', bytes });
          } else if (t.startsWith('"')) {
            // dtc sometimes prints a string list as one literal with embedded "\0" separators.
            for (const value of unescapeDtsString(t.slice(1, -1)).split('\0')) values.push({ kind: 'string', value });
          }
          else if (t.startsWith('&')) values.push({ kind: 'ref', path: t.slice(1) });
          else throw new BoardkitError('E_DTS', 'infrastructure', `DTS: unexpected '${t}' in property ${name}`);
          if (peek() === ',') next();
          else break;
        }
      }
      expect(';');
      node.properties.set(name, values);
    }
    expect('}');
    expect(';');
  };

  while (i < tokens.length) {
    const t = next();
    if (t === '/dts-v1/' || t === '/plugin/') expect(';');
    else if (t === '/memreserve/') {
      while (next() !== ';');
    } else if (t === '/') {
      root ??= { name: '/', path: '/', properties: new Map(), children: [], parent: undefined };
      parseNodeBody(root);
    } else throw new BoardkitError('E_DTS', 'infrastructure', `DTS: unexpected top-level token '${t}'`);
  }
  if (!root) throw new BoardkitError('E_DTS', 'infrastructure', 'DTS has no root node');
  return root;
}

/** dtc's C-style escapes (`\\`, `\"`, `\n`, `\t`, `\r`, `\xNN`, octal `\NNN`). */
function unescapeDtsString(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' } as Record<string, string>)[e] ?? e;
  });
}

function parseCell(t: string): bigint {
  if (t.startsWith('&')) return 0n; // phandle reference; resolved values are not needed here.
  try {
    return BigInt(t);
  } catch {
    throw new BoardkitError('E_DTS', 'infrastructure', `DTS: bad cell '${t}'`);
  }
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (text.startsWith('//', i)) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (text.startsWith('/*', i)) i = text.indexOf('*/', i) + 2;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else if ('{}<>[];=,:'.includes(c)) {
      out.push(c);
      i++;
    } else {
      let j = i;
      // Names may contain commas (`riscv,isa`, `#address-cells`); value separators never follow a bare word.
      while (j < text.length && !/\s/.test(text[j]!) && !'{}<>[];="'.includes(text[j]!)) {
        // A ':' ends a label only when followed by whitespace ("uart0: serial@..."); inside a name it cannot occur.
        if (text[j] === ':') break;
        j++;
      }
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** Every node whose name is `name` (with unit address) or whose name before `@` is `name`. */
export function findNodes(root: DtsNode, name: string): DtsNode[] {
  const out: DtsNode[] = [];
  const walk = (n: DtsNode) => {
    if (n.name === name || n.name.split('@')[0] === name) out.push(n);
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** The node at a path like `/soc/serial@10000000`, or undefined. */
export function nodeAtPath(root: DtsNode, path: string): DtsNode | undefined {
  if (path === '/') return root;
  let cur: DtsNode | undefined = root;
  for (const part of path.split('/').filter(Boolean)) cur = cur?.children.find((c) => c.name === part);
  return cur;
}

export function cellsOf(node: DtsNode, prop: string): bigint[] | undefined {
  const v = node.properties.get(prop);
  if (!v) return undefined;
  return v.flatMap((x) => (x.kind === 'cells' ? x.cells : []));
}

export function stringsOf(node: DtsNode, prop: string): string[] | undefined {
  const v = node.properties.get(prop);
  if (!v) return undefined;
  return v.flatMap((x) => (x.kind === 'string' ? [x.value] : []));
}

/** `reg` as (address, size) pairs, using the parent's #address-cells / #size-cells. */
export function readReg(node: DtsNode): Array<{ address: bigint; size: bigint }> {
  const cells = cellsOf(node, 'reg') ?? [];
  const ac = Number(node.parent ? (cellsOf(node.parent, '#address-cells')?.[0] ?? 2n) : 2n);
  const sc = Number(node.parent ? (cellsOf(node.parent, '#size-cells')?.[0] ?? 1n) : 1n);
  const join = (xs: bigint[]) => xs.reduce((acc, x) => (acc << 32n) | x, 0n);
  const out: Array<{ address: bigint; size: bigint }> = [];
  for (let k = 0; k + ac + sc <= cells.length; k += ac + sc) {
    out.push({ address: join(cells.slice(k, k + ac)), size: join(cells.slice(k + ac, k + ac + sc)) });
  }
  return out;
}
