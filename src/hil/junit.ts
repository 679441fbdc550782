/**
 * JUnit XML of a HIL run, in the shape Jenkins, GitLab and junitparser read: one <testsuite> per
 * target (properties: board, lab board, image sha256, firmware versions), one <testcase> per
 * stage, boot marker, expected line and oracle; <failure> for a board that misbehaved, <error> for
 * the lab (power, port, deploy), <skipped> for what did not run; the console excerpt in
 * <system-out>. An interrupted run is marked in the root's properties and its unfinished cases
 * are skipped with the reason.
 */
import type { HilCase, HilResult, HilTargetResult } from './result.js';

/** XML 1.0 text: escapes markup and drops characters XML cannot carry (console bytes can be anything). */
export function xmlText(s: string): string {
  return s
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function testcase(c: HilCase, classname: string): string {
  const open = `    <testcase name="${xmlText(c.name)}" classname="${xmlText(classname)}" time="${secs(c.timeMs)}"`;
  const msg = xmlText(c.message ?? '');
  switch (c.status) {
    case 'passed':
      return `${open}/>`;
    case 'skipped':
      return `${open}>\n      <skipped message="${msg}"/>\n    </testcase>`;
    case 'failed':
      return `${open}>\n      <failure message="${msg}" type="boot">${xmlText(c.detail ?? c.message ?? '')}</failure>\n    </testcase>`;
    case 'error':
      return `${open}>\n      <error message="${msg}" type="infrastructure">${xmlText(c.detail ?? c.message ?? '')}</error>\n    </testcase>`;
  }
}

function suite(t: HilTargetResult, run: string, timestamp: string): string {
  const count = (s: HilCase['status']) => t.cases.filter((c) => c.status === s).length;
  const props = Object.entries({ board: t.board, 'lab-board': t.labBoard, emulated: String(t.emulated), attempts: String(t.attempts), ...t.properties });
  const classname = `${run}.${t.name}`;
  return [
    `  <testsuite name="${xmlText(t.name)}" tests="${t.cases.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('skipped')}" time="${secs(t.durationMs)}" timestamp="${timestamp}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${xmlText(k)}" value="${xmlText(v)}"/>`),
    '    </properties>',
    ...t.cases.map((c) => testcase(c, classname)),
    `    <system-out>${xmlText(t.consoleExcerpt ?? '')}${t.consoleLog ? xmlText(`\n[[ATTACHMENT|${t.consoleLog}]]`) : ''}</system-out>`,
    '  </testsuite>',
  ].join('\n');
}

export function junitXml(r: HilResult): string {
  const all = r.targets.flatMap((t) => t.cases);
  const n = (s: HilCase['status']) => all.filter((c) => c.status === s).length;
  const timestamp = r.startedAt.replace(/\.\d+Z$/, '');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlText(r.run)}" tests="${all.length}" failures="${n('failed')}" errors="${n('error')}" skipped="${n('skipped')}" time="${secs(r.durationMs)}">`,
    ...r.targets.map((t) => suite(t, r.run, timestamp)),
    '</testsuites>',
    '',
  ].join('\n');
}
