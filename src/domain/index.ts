/** Pure domain logic shared by the server, the CLI and the UI. */
export * from './enums.ts';
export * from './status.ts';
export * from './severity.ts';
export * from './uptime.ts';
export * from './templates.ts';
export * from './time.ts';
export * from './process.ts';
export * from './color.ts';
