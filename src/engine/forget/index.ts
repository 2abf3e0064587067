export * from './duration.js';
export * from './go-time.js';
export * from './go-calendar.js';
export * from './group-by.js';
export * from './forget-json.js';
export {
  applyPolicy, hasTags, isEmptyPolicy, COUNTER_NAMES,
  type ApplyPolicyOptions, type CounterName, type ExpirePolicy, type KeepReason, type PolicyResult, type PolicySnapshot,
} from './policy.js';
export * from './policy-options.js';
