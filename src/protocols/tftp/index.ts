export * from './packet.js';
export * from './options.js';
export * from './defaults.js';
export * from './netascii.js';
export * from './sender.js';
export * from './receiver.js';
