// Entry point for test trees: generate, mutate and compare.
export { generateTree, type GenerateOptions, type TreeScale } from './tree-generate.js';
export { mutateTree, type MutationReport } from './tree-mutate.js';
export { compareTrees, hashFile, type CompareOptions, type DiffKind } from './tree-compare.js';
export { walkTree, showPath, type WalkEntry, type EntryType } from './tree-walk.js';
export type { TreeStats } from './tree-builder.js';
export { UNUSUAL_NAMES, INVALID_UTF8_NAMES } from './tree-names.js';
