export { BlobSet } from './blob-set.js';
export { findUsedBlobs } from './used-blobs.js';
export { computePackUsage, type PackInfo, type PackUsage, type BlobStats } from './pack-info.js';
export { decidePackActions, type PackDecision, type PruneStats, type PackCounts, type RepoShape } from './decide.js';
export { planPrune, type PrunePlan, type PlanOptions, type PruneProgress } from './plan.js';
export { executePrune, type PruneResult, type PruneStep } from './execute.js';
export { repackBlobs, type RepackProgress } from './repack.js';
export {
  defaultPruneOptions, maxUnusedBytes, parseMaxUnused, parseSizeString, type MaxUnused, type PruneOptions,
} from './options.js';
