/** The send journal: its layers are in ./journal/ (see journal/index.ts); this keeps importers' paths. */
export * from './journal/index.js';
