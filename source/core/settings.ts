/** The settings (settings/index.ts says what each file of the folder owns). */
export * from './settings/index.js';
