export { checkRepository, type CheckOptions, type CheckPhase, type CheckSummary } from './check.js';
export { loadIndexFiles, loadIndexWhileLocking, fillRepoIndex, packType, type IndexedPack, type LoadedIndex, type IndexFileError } from './index-files.js';
export { checkPackFiles } from './packs.js';
export { checkStructure, type StructureResult } from './structure.js';
export { verifyPack, verifyPackHeader, verifyBlobs, sortedBlobs, type PackVerifyInput } from './pack-verify.js';
export { BlobVerifier } from './blob-verifier.js';
export { readPacks, type PackReadResult, type ReadDataOptions } from './read-data.js';
export { parseReadDataSubset, selectPacks, MAX_BUCKETS, type ReadDataSubset } from './subset.js';
export type { CheckProblem, Report } from './problems.js';
