/**
 * apt source lists as data (sources.list(5)): the one-line format of /etc/apt/sources.list and
 * sources.list.d/*.list, and the deb822 format of sources.list.d/*.sources. Pure: the caller reads
 * the files. .ci/install-deps.sh implements the same rules in awk (test/workflows/apt-sources.test.ts
 * runs both on the same files), so CI and `doctor --fix` derive the same archive URI.
 */

export interface AptSourceFile {
  readonly file: string;
  readonly text: string;
}

/** One enabled source entry: a one-line `deb`/`deb-src` line or a deb822 stanza. */
export interface AptSourceEntry {
  readonly file: string;
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
}

/** deb822 `Enabled:` values apt reads as false (apt's StringToBool). */
const DISABLED = /^(no|false|off|0|disable|without)$/i;
const COMMENT = /^\s*#/;
const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);

function parseDeb822(file: string, text: string): AptSourceEntry[] {
  const entries: AptSourceEntry[] = [];
  let fields = new Map<string, string>();
  let key: string | undefined;
  const flush = () => {
    if (fields.size > 0 && !DISABLED.test((fields.get('enabled') ?? 'yes').trim())) {
      entries.push({ file, types: words(fields.get('types')), uris: words(fields.get('uris')), suites: words(fields.get('suites')), components: words(fields.get('components')) });
    }
    fields = new Map();
    key = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    if (COMMENT.test(line)) continue;
    if (/^\s*$/.test(line)) flush();
    else if (/^\s/.test(line)) {
      // A continuation line (deb822 folded field) belongs to the field above it.
      if (key !== undefined) fields.set(key, `${fields.get(key) ?? ''} ${line}`);
    } else {
      const colon = line.indexOf(':');
      key = colon < 0 ? undefined : line.slice(0, colon).toLowerCase();
      if (key !== undefined) fields.set(key, line.slice(colon + 1));
    }
  }
  flush();
  return entries;
}

function parseOneLine(file: string, text: string): AptSourceEntry[] {
  const entries: AptSourceEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    // `[options]` after the type go before splitting (they may contain spaces: `[ arch=amd64 ]`);
    // brackets inside a word (`cdrom:[Debian GNU/Linux ...]/`) are dropped, keeping the URI one word.
    const w = words(line.replace(/#.*/, '').replace(/\s\[[^\]]*\]/g, ' ').replace(/\[[^\]]*\]/g, ''));
    const [type, uri, suite, ...components] = w;
    if ((type === 'deb' || type === 'deb-src') && uri !== undefined && suite !== undefined) entries.push({ file, types: [type], uris: [uri], suites: [suite], components });
  }
  return entries;
}

/** Every enabled entry, in the order given; commented-out lines and `Enabled: no` stanzas are left out. */
export function parseAptSources(files: readonly AptSourceFile[]): AptSourceEntry[] {
  return files.flatMap(({ file, text }) => (file.endsWith('.sources') ? parseDeb822(file, text) : parseOneLine(file, text)));
}

/** Does an enabled binary (`deb`) source carry the component? */
export function sourcesHaveComponent(files: readonly AptSourceFile[], component: string): boolean {
  return parseAptSources(files).some((e) => e.types.includes('deb') && e.components.includes(component));
}

/**
 * The archive URI of the machine's own Debian source: the first enabled `deb` entry whose suites
 * include `codename` (the release itself, not -updates or -security) and whose components include
 * `main`. cdrom: URIs are skipped (a disc cannot serve another component). Undefined when none.
 * Pass the files in apt's reading order: sources.list, then sources.list.d/ by name.
 */
export function debianArchiveUri(files: readonly AptSourceFile[], codename: string): string | undefined {
  for (const e of parseAptSources(files)) {
    if (!e.types.includes('deb') || !e.suites.includes(codename) || !e.components.includes('main')) continue;
    const uri = e.uris.find((u) => !u.startsWith('cdrom:'));
    if (uri !== undefined) return uri;
  }
  return undefined;
}

/** VERSION_CODENAME from os-release(5) text (values may be quoted). */
export function osReleaseCodename(text: string): string | undefined {
  const m = /^VERSION_CODENAME=(.*)$/m.exec(text);
  const value = m?.[1]?.trim().replace(/^(["'])(.*)\1$/, '$2');
  return value ? value : undefined;
}
