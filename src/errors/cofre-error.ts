import { ExitCode } from './exit-code.js';

export interface ErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  /** The file, id or path the error concerns. */
  context?: Record<string, string | number>;
  cause?: unknown;
}

/**
 * Base of every error that crosses a layer boundary. `message` says what is wrong,
 * `hint` what to do; the CLI maps `exitCode`, the server maps the class to a status.
 */
export abstract class CofreError extends Error {
  abstract readonly code: string;
  readonly exitCode: number = ExitCode.Failure;
  readonly retryable: boolean = false;
  readonly hint: string | undefined;
  readonly context: Record<string, string | number> | undefined;

  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.context = opts.context;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, context: this.context, exitCode: this.exitCode };
  }
}
