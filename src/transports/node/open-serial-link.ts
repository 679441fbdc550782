import { UsageError } from '../../core/errors.js';
import { parseSerialLinkAddress, type SerialLink, type SerialLinkOptions } from '../serial-link.js';
import { openSerialPortLink } from './serialport-link.js';
import { openTcpSerialLink } from './tcp-serial-link.js';

/** The Node SerialLinkOpener: `tcp:HOST:PORT`, `serial:SERIALNUMBER`, or a device/pty path. */
export async function openNodeSerialLink(spec: string, options: SerialLinkOptions = {}): Promise<SerialLink> {
  const address = parseSerialLinkAddress(spec);
  if (!address) {
    throw new UsageError(`'${spec}' is not a console address`, {
      hint: 'use a device path (/dev/serial/by-id/...), serial:SERIALNUMBER or tcp:HOST:PORT',
    });
  }
  switch (address.kind) {
    case 'tcp':
      return openTcpSerialLink(address.host, address.port, options);
    case 'serial-number':
      return openSerialPortLink(`serial:${address.serialNumber}`, { ...options, serialNumber: address.serialNumber });
    case 'device':
      return openSerialPortLink(address.path, options);
  }
}
