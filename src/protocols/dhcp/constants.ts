/**
 * DHCP/BOOTP constants. Message layout: RFC 2131 §2 (Figure 1) on top of BOOTP (RFC 951);
 * options: RFC 2132; PXE: RFC 4578 and the Intel PXE 2.1 specification.
 */

/** UDP ports (RFC 2131 §4.1); 4011 is the PXE boot server port (PXE 2.1 §2.2.1). */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const PXE_BOOT_SERVER_PORT = 4011;

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** htype for 10 Mb Ethernet (RFC 1700 "Hardware Type"). */
export const HTYPE_ETHERNET = 1;

/** Fixed part of the message: op..file (RFC 2131 Figure 1). */
export const DHCP_FIXED_LENGTH = 236;
/** RFC 2131 §3: the first four octets of `options`. */
export const MAGIC_COOKIE = Uint8Array.of(99, 130, 83, 99);
/** BOOTP's 64-byte vend field makes 300 bytes the minimum message (RFC 951, RFC 1542 §3.1.1). */
export const BOOTP_MIN_LENGTH = 300;
/** Every DHCP client must accept 576-byte messages (RFC 2131 §2). */
export const DHCP_MIN_MAX_MESSAGE = 576;

/** BROADCAST flag (RFC 2131 §2, Figure 2). */
export const FLAG_BROADCAST = 0x8000;

/** Option 53 values (RFC 2132 §9.6). */
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export type DhcpMessageTypeName = 'discover' | 'offer' | 'request' | 'decline' | 'ack' | 'nak' | 'release' | 'inform';

export const MESSAGE_TYPE_NAMES: Record<number, DhcpMessageTypeName> = {
  1: 'discover',
  2: 'offer',
  3: 'request',
  4: 'decline',
  5: 'ack',
  6: 'nak',
  7: 'release',
  8: 'inform',
};

/** Option codes (RFC 2132 section in brackets). */
export const Opt = {
  PAD: 0, // §3.1
  SUBNET_MASK: 1, // §3.3
  ROUTER: 3, // §3.5
  DNS: 6, // §3.8
  HOSTNAME: 12, // §3.14
  DOMAIN_NAME: 15, // §3.17
  VENDOR_SPECIFIC: 43, // §8.4
  REQUESTED_IP: 50, // §9.1
  LEASE_TIME: 51, // §9.2
  OVERLOAD: 52, // §9.3
  MESSAGE_TYPE: 53, // §9.6
  SERVER_ID: 54, // §9.7
  PARAMETER_REQUEST_LIST: 55, // §9.8
  MESSAGE: 56, // §9.9
  MAX_MESSAGE_SIZE: 57, // §9.10
  RENEWAL_TIME: 58, // §9.11
  REBINDING_TIME: 59, // §9.12
  VENDOR_CLASS: 60, // §9.13
  CLIENT_ID: 61, // §9.14
  TFTP_SERVER_NAME: 66, // §9.4
  BOOTFILE_NAME: 67, // §9.5
  CLIENT_ARCH: 93, // RFC 4578 §2.1
  CLIENT_NDI: 94, // RFC 4578 §2.2
  CLIENT_UUID: 97, // RFC 4578 §2.3
  PXELINUX_CONFIG_FILE: 209, // RFC 5071 §5
  END: 255, // §3.2
} as const;
