/**
 * boardkit as a library: the same workflows the CLI runs, the typed errors and progress events,
 * and the node transports to inject (the CLI's composition root does exactly this).
 */
export { BoardkitError, ToolMissingError, ToolFailedError, UsageError, type ErrorKind } from './core/errors.js';
export type { ProgressEvent, ProgressSink } from './core/progress.js';
export { defaultCacheDir } from './core/cache-dir.js';

export { loadBoards, loadProfileFiles, listProfileFiles } from './boards/loader.js';
export { BoardRegistry, type LoadedProfile } from './boards/registry.js';
export { ProfileValidationError, UnknownBoardError, formatIssue, type ProfileIssue } from './boards/issues.js';
export { boardJsonSchema, type BoardProfile, type DriverKind, type EmulationMode } from './boards/schema.js';
export { RULES, ALL_RULE_NAMES } from './boards/rules.js';

export { loadManifests } from './artifacts/manifest-loader.js';
export { resolveArtifact } from './artifacts/resolve-artifact.js';

export { ConsoleSession } from './console/console-session.js';
export { verifyBoot, type BootResult, type BootSpec } from './console/boot-verifier.js';

export { buildPayload, patchConfigBlock, parseBootReport, type PayloadBuildSpec } from './payload/index.js';
export { payloadSpecFor, supportedDrivers } from './payload/from-profile.js';

export { startQemu, type QemuMachineSpec, type RunningQemu } from './emulator/index.js';
export { machineFromProfile } from './emulator/profile-machine.js';

export { TftpServer, type TftpServerOptions, type TftpServerEvent, type TftpEngine } from './netboot/tftp-server.js';
export { TFTP_DEFAULTS, TFTP_PORT } from './protocols/tftp/defaults.js';
export { DhcpServer, type DhcpServerOptions, type DhcpServerEvent } from './netboot/dhcp-server.js';
export type { DhcpMode } from './protocols/dhcp/config.js';
export { AddressError } from './protocols/net/address.js';
export { UserspaceStack } from './transports/userspace-stack.js';
export { withFrameLoss, type FrameLossOptions } from './transports/frame-loss.js';
export { LabNetwork, LAB_DEFAULTS, type LabEvent, type LabNetworkOptions } from './netboot/lab-network.js';
export { netbootServe, type NetbootServeEvent, type NetbootServeOptions } from './workflows/netboot-serve.js';

export { runBoard, type RunReport, type RunEnvironment } from './workflows/run-board.js';
export { runNetboot, type NetbootEnvironment } from './workflows/netboot-run.js';
export { runPayload, type PayloadRunReport } from './workflows/payload-run.js';
export { buildBoardPayload } from './workflows/payload-build.js';
export { verifyBootOnPort } from './workflows/verify-boot.js';
export { runDemo } from './workflows/demo.js';

export { NodeSpawner } from './transports/node/node-spawner.js';
export { openNodeSerialLink } from './transports/node/open-serial-link.js';
export { connectQmpSocket } from './transports/node/qmp-socket.js';
export { openQemuDgramFrameLink } from './transports/node/qemu-dgram-frame-link.js';
export { UdpDatagramNetwork } from './transports/node/udp-datagram-link.js';
