import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debianArchiveUri, osReleaseCodename, parseAptSources, sourcesHaveComponent, type AptSourceFile } from '../../src/workflows/doctor/apt-sources.js';

/**
 * The pure parser, and the same rules in .ci/install-deps.sh (awk): both run on the same files,
 * so CI and `doctor --fix` write the same apt source. Hosts are RFC 2606 `.invalid` placeholders.
 */
const SCRIPT = join(import.meta.dirname, '../../.ci/install-deps.sh');
const M = 'http://mirror.invalid';

interface Case {
  readonly name: string;
  readonly codename: string;
  /** Paths relative to an apt directory (sources.list, sources.list.d/NAME). */
  readonly files: Readonly<Record<string, string>>;
  readonly uri: string | undefined;
}

const CASES: Case[] = [
  {
    name: 'deb822: the release stanza, not the security one',
    codename: 'bookworm',
    files: {
      'sources.list.d/debian.sources': `Types: deb\n# ${M}/snapshot\nURIs: ${M}/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: ${M}/debian-security\nSuites: bookworm-security\nComponents: main\n`,
    },
    uri: `${M}/debian`,
  },
  {
    name: 'deb822: commented-out field, folded fields, several types and URIs',
    codename: 'bookworm',
    files: {
      'sources.list.d/debian.sources': `# the Debian archive, via a local mirror\nTypes: deb-src deb\n# URIs: ${M}/commented\nURIs: ${M}/a\n ${M}/b\nSuites:\n bookworm\n bookworm-updates\ncomponents: contrib\n  main\n`,
    },
    uri: `${M}/a`,
  },
  {
    name: 'deb822: disabled stanzas (no, False) and a deb-src-only stanza are skipped',
    codename: 'bookworm',
    files: {
      'sources.list.d/debian.sources': `Types: deb\nURIs: ${M}/off\nSuites: bookworm\nComponents: main\nEnabled: no\n\nTypes: deb\nURIs: ${M}/false\nSuites: bookworm\nComponents: main\nEnabled: False\n\nTypes: deb-src\nURIs: ${M}/src\nSuites: bookworm\nComponents: main\n\n\nTypes: deb\nURIs: ${M}/on\nSuites: bookworm\nComponents: main\nEnabled: yes\n`,
    },
    uri: `${M}/on`,
  },
  {
    name: 'deb822: only -updates and -security, or no main component: none',
    codename: 'bookworm',
    files: {
      'sources.list.d/debian.sources': `Types: deb\nURIs: ${M}/debian\nSuites: bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: ${M}/debian-security\nSuites: bookworm-security\nComponents: main\n\nTypes: deb\nURIs: ${M}/contrib\nSuites: bookworm\nComponents: contrib non-free\n`,
    },
    uri: undefined,
  },
  {
    name: 'one-line: comments, deb-src, options with spaces, trailing comment',
    codename: 'bookworm',
    files: {
      'sources.list': `# deb ${M}/commented bookworm main\n#deb ${M}/commented2 bookworm main\ndeb-src ${M}/src bookworm main\n\ndeb [ arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg ] ${M}/debian bookworm main contrib # the Debian archive\n`,
    },
    uri: `${M}/debian`,
  },
  {
    name: 'cdrom entries (one-line with brackets in the URI, deb822) are skipped',
    codename: 'bookworm',
    files: {
      'sources.list': `deb [ arch=amd64 ] cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 DVD Binary-1 with firmware 20240210-11:28]/ bookworm contrib main\n`,
      'sources.list.d/a.sources': `Types: deb\nURIs: cdrom:/media/cdrom/\nSuites: bookworm\nComponents: main\n`,
      'sources.list.d/b.list': `deb ${M}/debian bookworm main\n`,
    },
    uri: `${M}/debian`,
  },
  {
    name: 'reading order: sources.list first, then sources.list.d by name; other suffixes ignored',
    codename: 'bookworm',
    files: {
      'sources.list': `deb ${M}/first bookworm-updates main\n`,
      'sources.list.d/a-disabled.sources.save': `Types: deb\nURIs: ${M}/save\nSuites: bookworm\nComponents: main\n`,
      'sources.list.d/b-mirror.list': `deb ${M}/b bookworm main\n`,
      'sources.list.d/c-debian.sources': `Types: deb\nURIs: ${M}/c\nSuites: bookworm\nComponents: main\n`,
    },
    uri: `${M}/b`,
  },
  {
    name: 'the codename decides: bookworm sources for a trixie host give none',
    codename: 'trixie',
    files: { 'sources.list.d/debian.sources': `Types: deb\nURIs: ${M}/debian\nSuites: bookworm\nComponents: main\n` },
    uri: undefined,
  },
  {
    name: 'CRLF line ends',
    codename: 'trixie',
    files: {
      'sources.list.d/debian.sources': `Types: deb\r\nURIs: ${M}/crlf\r\nSuites: trixie\r\nComponents: main\r\n`,
      'sources.list.d/z.list': `deb ${M}/z trixie main\r\n`,
    },
    uri: `${M}/crlf`,
  },
  { name: 'no sources at all', codename: 'bookworm', files: {}, uri: undefined },
];

/** What apt reads, in its order: sources.list, then sources.list.d/*.list and *.sources by name. */
function filesOf(dir: string): AptSourceFile[] {
  const d = join(dir, 'sources.list.d');
  const names = existsSync(d) ? readdirSync(d).sort().filter((f) => /\.(list|sources)$/.test(f)) : [];
  return [join(dir, 'sources.list'), ...names.map((f) => join(d, f))].filter((f) => existsSync(f)).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function shellUri(aptDir: string, codename: string): { uri: string | undefined; stderr: string } {
  const r = spawnSync('bash', [SCRIPT, '--print-debian-uri', aptDir, codename], { encoding: 'utf8', timeout: 20_000 });
  if (r.status === 0) return { uri: r.stdout.trim(), stderr: r.stderr };
  expect(r.status, r.stderr).toBe(4);
  return { uri: undefined, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'boardkit-apt-sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('debianArchiveUri, and install-deps.sh --print-debian-uri on the same files', () => {
  CASES.forEach((c, i) => {
    it(c.name, () => {
      const dir = join(tmp, String(i));
      mkdirSync(join(dir, 'sources.list.d'), { recursive: true });
      for (const [rel, text] of Object.entries(c.files)) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), text);
      }
      expect(debianArchiveUri(filesOf(dir), c.codename)).toBe(c.uri);
      const sh = shellUri(dir, c.codename);
      expect(sh.uri).toBe(c.uri);
      if (c.uri === undefined) expect(sh.stderr).toContain('add the non-free-firmware component to your Debian source yourself');
    });
  });

  it.skipIf(!existsSync('/etc/apt'))('this host: the parser and the script derive the same URI from /etc/apt', () => {
    const codename = osReleaseCodename(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '') ?? 'bookworm';
    expect(shellUri('/etc/apt', codename).uri).toBe(debianArchiveUri(filesOf('/etc/apt'), codename));
  });
});

describe('parseAptSources', () => {
  it('returns enabled entries of both formats as lists, leaving out disabled and commented ones', () => {
    const entries = parseAptSources([
      { file: '/etc/apt/sources.list', text: `deb [arch=amd64] ${M}/one bookworm main non-free-firmware\n# deb ${M}/off bookworm main\n` },
      { file: 'x.sources', text: `Types: deb deb-src\nURIs: ${M}/two\nSuites: bookworm bookworm-updates\nComponents: main\n\nEnabled: no\nTypes: deb\nURIs: ${M}/three\nSuites: bookworm\nComponents: main\n` },
    ]);
    expect(entries).toEqual([
      { file: '/etc/apt/sources.list', types: ['deb'], uris: [`${M}/one`], suites: ['bookworm'], components: ['main', 'non-free-firmware'] },
      { file: 'x.sources', types: ['deb', 'deb-src'], uris: [`${M}/two`], suites: ['bookworm', 'bookworm-updates'], components: ['main'] },
    ]);
  });

  it('a cdrom: URI with spaces in its brackets stays one word', () => {
    expect(parseAptSources([{ file: 'sources.list', text: 'deb [arch=amd64] cdrom:[Debian GNU/Linux 12 _Bookworm_]/ bookworm main\n' }])).toEqual([
      { file: 'sources.list', types: ['deb'], uris: ['cdrom:/'], suites: ['bookworm'], components: ['main'] },
    ]);
  });

  it('sourcesHaveComponent counts binary entries only', () => {
    expect(sourcesHaveComponent([{ file: 'a.list', text: `deb-src ${M}/d bookworm main non-free-firmware\n` }], 'non-free-firmware')).toBe(false);
    expect(sourcesHaveComponent([{ file: 'a.list', text: `deb ${M}/d bookworm main non-free-firmware\n` }], 'non-free-firmware')).toBe(true);
  });

  it('osReleaseCodename reads VERSION_CODENAME, quoted or not', () => {
    expect(osReleaseCodename('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\n')).toBe('bookworm');
    expect(osReleaseCodename('VERSION_CODENAME="trixie"\n')).toBe('trixie');
    expect(osReleaseCodename('NAME=x\n')).toBeUndefined();
    expect(osReleaseCodename('VERSION_CODENAME=\n')).toBeUndefined();
  });
});
