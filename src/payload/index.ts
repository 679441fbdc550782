/** Public surface of the payload room: build, patch, parse, and the host-side oracles. */
export { buildPayload, defaultBootDir, planPayloadBuild } from './build-payload.js';
export type { BuildPayloadOptions, PayloadBuildPlan, PayloadBuildResult, PayloadBuildStep, PayloadManifest, PayloadOutputFile } from './build-payload.js';
export {
  CONFIG_LENGTH,
  CONFIG_MAGIC,
  CONFIG_VERSION,
  PayloadConfigError,
  findConfigBlock,
  newNonce,
  patchConfigBlock,
  readConfigBlock,
} from './config-block.js';
export type { ConfigBlockLocation, PayloadConfigValues } from './config-block.js';
export {
  createFixtureDisk,
  checkStorageReport,
  formatDiskSignature,
  randomDiskSignature,
  withMbrDiskSignature,
  writeDiskSignature,
} from './disk-signature.js';
export { checkFramebufferPattern, comparePattern, patternRgb, patternSamplePoints } from './fb-pattern.js';
export type { PatternCheck, SamplePoint, ScreenImage } from './fb-pattern.js';
export { decodePpm, type PpmImage } from '../core/ppm.js';
export { generateSources } from './generate.js';
export { PayloadReportError, checkBootReport, checkReportNonce, driverReport, nonceHex, parseBootReport, testOnlyBuildInImage } from './report.js';
export type { BootReport, DriverReport, PayloadFault } from './report.js';
export { CONTROLLERS, validatePayloadSpec } from './spec.js';
export type { ConsoleSpec, DriverController, DriverKind, DriverSpec, PayloadArch, PayloadBuildSpec, PayloadExit, PayloadFormat } from './spec.js';
export { checkEthernetFrames, parseUdpReportFrame } from './udp-report.js';
export type { EthernetExpectation, UdpReportFrame } from './udp-report.js';
export {
  checkGpioEdgeAfterTrigger,
  checkPl061Effect,
  checkResetAfterGpio,
  checkSdRouteEffect,
  checkSifiveResetEffect,
  gpioSecretByte,
  gpioWaitingIndex,
  parseXpWords,
  pl061Pattern,
  sifiveGpioPattern,
} from './gpio-oracle.js';
