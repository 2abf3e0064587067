export { ExitCode, type ExitCodeValue } from './exit-code.js';
export { CofreError, type ErrorOptions } from './cofre-error.js';
export * from './errors.js';
