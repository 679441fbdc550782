/**
 * GPIO oracles: a GPIO line only proves itself through an effect the host causes or observes.
 * - input edge (pl061 on virt): the payload announces `gpio=waiting`, the host then causes the
 *   edge (QMP system_powerdown); the ok line must come after the host acted, never before.
 * - output (sifive-gpio on sifive_u): GPIO 10 resets the SoC, so a QMP RESET event must follow
 *   the payload's gpio line.
 */
import { PayloadReportError, parseBootReport } from './report.js';

const WAITING = /BOARDKIT gpio=waiting line=(\d+)/;
const GPIO_OK = /BOARDKIT driver=gpio status=ok[^\n]*/;

/** Index just after the `gpio=waiting` line, or -1: the moment the host may trigger the edge. */
export function gpioWaitingIndex(consoleText: string): number {
  const m = WAITING.exec(consoleText);
  return m ? m.index + m[0].length : -1;
}

/**
 * `consoleText` is the whole console; `triggeredAt` is its length when the host caused the edge.
 * Throws unless the payload waited first and reported the edge only after the trigger.
 */
export function checkGpioEdgeAfterTrigger(consoleText: string, triggeredAt: number): void {
  const report = parseBootReport(consoleText);
  const ok = GPIO_OK.exec(consoleText);
  if (!ok) throw new PayloadReportError('no gpio ok line in the report', report, 'the edge did not reach the payload (line number, or the machine has no PL061)');
  const waiting = gpioWaitingIndex(consoleText);
  if (waiting < 0 || waiting > triggeredAt)
    throw new PayloadReportError('the payload did not announce gpio=waiting before the host triggered the edge', report, 'the GPIO driver did not wait for an input edge');
  if (ok.index < triggeredAt)
    throw new PayloadReportError('the payload reported a GPIO edge before the host caused one', report, 'the driver claims an edge it cannot have seen');
}

/** The sifive_u reset oracle: a RESET event after the payload said it toggled the line. */
export function checkResetAfterGpio(consoleText: string, events: ReadonlyArray<{ event: string }>): void {
  const report = parseBootReport(consoleText);
  if (!GPIO_OK.test(consoleText)) throw new PayloadReportError('no gpio ok line in the report', report, 'the payload did not reach its GPIO driver');
  if (!events.some((e) => e.event === 'RESET'))
    throw new PayloadReportError('no QMP RESET event after the payload toggled the reset GPIO', report, 'the GPIO write did not reach the pin wired to reset');
}
