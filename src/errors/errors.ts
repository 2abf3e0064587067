import { CofreError } from './cofre-error.js';
import { ExitCode } from './exit-code.js';

/** The password opened none of the repository's keys. */
export class WrongPasswordError extends CofreError {
  readonly code = 'WRONG_PASSWORD';
  override readonly exitCode = ExitCode.WrongPassword;
}

/** No repository at the given location (no config file). */
export class RepositoryNotFoundError extends CofreError {
  readonly code = 'NO_REPOSITORY';
  override readonly exitCode = ExitCode.NoRepository;
}

/** Data whose MAC, hash, length or structure does not match what it claims to be. Never retried. */
export class IntegrityError extends CofreError {
  readonly code = 'INTEGRITY';
}

/** A file or structure that cannot be decoded (bad JSON, unknown version, bad header). */
export class FormatError extends CofreError {
  readonly code = 'FORMAT';
}

/** A requested object (snapshot, blob, file, path inside a snapshot) does not exist. */
export class NotFoundError extends CofreError {
  readonly code = 'NOT_FOUND';
}

/** The repository is locked by someone else in a conflicting way. */
export class LockConflictError extends CofreError {
  readonly code = 'LOCK_CONFLICT';
  override readonly exitCode = ExitCode.LockFailed;
}

/** Wrong command-line usage or invalid option values. */
export class UsageError extends CofreError {
  readonly code = 'USAGE';
}

/** A configuration file that does not validate. */
export class ConfigError extends CofreError {
  readonly code = 'CONFIG';
}

/** A storage operation failed. `retryable` distinguishes transient failures (network, 5xx). */
export class BackendError extends CofreError {
  readonly code = 'BACKEND';
  override readonly retryable: boolean;
  constructor(message: string, opts: ConstructorParameters<typeof CofreError>[1] & { retryable?: boolean } = {}) {
    super(message, opts);
    this.retryable = opts.retryable ?? false;
  }
}

/** The file does not exist in the backend. */
export class BackendNotFoundError extends CofreError {
  readonly code = 'BACKEND_NOT_FOUND';
}

/** The operation was cancelled (SIGINT/abort signal). */
export class CancelledError extends CofreError {
  readonly code = 'CANCELLED';
  override readonly exitCode = ExitCode.Interrupted;
}
