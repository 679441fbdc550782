import type { CommandModule } from 'yargs';
import { boardsCommand } from './boards.js';
import { demoCommand } from './demo.js';
import { payloadCommand } from './payload.js';
import { runCommand } from './run.js';
import { verifyBootCommand } from './verify-boot.js';
import { consoleCommand } from './console.js';
import { doctorCommand } from './doctor.js';
import { firmwareCommand } from './firmware.js';
import { monitorCommand } from './monitor.js';
import { netbootCommand } from './netboot.js';
import { imageCommand } from './image.js';
import { hilCommand } from './hil.js';
import { devCommand } from './dev.js';

/**
 * Every top-level command. Command modules are light: they declare options and, in the handler,
 * import the workflow that does the work (so `--help` never loads native modules such as `usb`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: Array<CommandModule<any, any>> = [boardsCommand, demoCommand, payloadCommand, runCommand, verifyBootCommand, firmwareCommand, doctorCommand, consoleCommand, monitorCommand, netbootCommand, imageCommand, hilCommand, devCommand];
