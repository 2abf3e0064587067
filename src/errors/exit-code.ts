/** restic's documented exit codes (doc/075_scripting.rst), so scripts written for restic keep working. */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  /** Backup finished but some source files could not be read. */
  Partial: 3,
  NoRepository: 10,
  LockFailed: 11,
  WrongPassword: 12,
  Interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
