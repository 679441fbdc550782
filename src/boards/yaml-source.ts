import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';

/**
 * Aliases one document may expand (the yaml package's own guard against "billion laughs" alias
 * bombs). A profile or manifest has no use for more; beyond it the file is reported, not loaded.
 */
export const MAX_ALIAS_COUNT = 100;

export type PathSegment = string | number;

/** A parsed YAML file that can say where any path inside it is. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** Syntax errors found while parsing (value is then unreliable). */
  readonly syntaxErrors: Array<{ line: number; col: number; message: string }>;
  /** Whether the document has a node at exactly this path. */
  has(path: readonly PathSegment[]): boolean;
  /** Position of the node at the path; `key: true` gives the key's position in its map. */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): { line: number; col: number };
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const syntaxErrors = [...doc.errors, ...doc.warnings].map((e) => ({ ...pos(e.pos[0]), message: e.message.split('\n')[0] ?? e.message }));

  /** Walks as deep as the path exists; returns the deepest node and whether the whole path was found. */
  const walk = (path: readonly PathSegment[]): { node: Node | null; keyNode: Node | null; complete: boolean } => {
    let node: Node | null = (doc.contents as Node | null) ?? null;
    let keyNode: Node | null = null;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return { node, keyNode, complete: false };
        keyNode = pair.key as Node;
        node = (pair.value as Node | null) ?? (pair.key as Node);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) return { node, keyNode, complete: false };
        keyNode = null;
        node = item;
      } else {
        return { node, keyNode, complete: false };
      }
    }
    return { node, keyNode, complete: true };
  };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // toJS refuses an alias bomb (ReferenceError "Excessive alias count ..."): a fault of the
    // file, located at its first alias, never an internal error. With syntax errors already
    // found, those say why.
    if (syntaxErrors.length === 0) {
      if (!(err instanceof ReferenceError)) throw err;
      let firstAlias: number | undefined;
      visit(doc, {
        Alias(_key, node) {
          firstAlias = node.range?.[0];
          return visit.BREAK;
        },
      });
      syntaxErrors.push({
        ...pos(firstAlias ?? 0),
        message: /Excessive alias/.test(err.message)
          ? `aliases expand too far (over ${MAX_ALIAS_COUNT} alias nodes: an alias bomb?); write the values out instead of nesting aliases`
          : err.message,
      });
    }
  }

  return {
    file,
    value,
    syntaxErrors,
    has: (path) => walk(path).complete,
    locate(path, options = {}) {
      const { node, keyNode, complete } = walk(path);
      const target = options.key && complete && keyNode ? keyNode : node;
      const offset = target?.range?.[0] ?? 0;
      return pos(offset);
    },
  };
}
