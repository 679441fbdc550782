/**
 * What the netboot planner needs to know about the host's (or the network namespace's) interfaces,
 * as plain facts. Read by `node/net-interfaces.ts` (iproute2); `netboot/lab-interface.ts` decides
 * from them whether and how DHCP may be served on a lab NIC.
 */
export interface InterfaceFacts {
  name: string;
  /** IPv4 addresses with their masks. */
  ipv4: Array<{ address: string; netmask: string }>;
  loopback: boolean;
  /** This interface carries an IPv4 default route. */
  defaultRoute: boolean;
}
