/** Errors for the errno values the addon's asynchronous calls report instead of throwing. */
import { getSystemErrorMap } from 'node:util';

/**
 * An Error shaped like node:fs's for a positive `errno`: `code` ('ENOENT'), negative
 * `errno`, plus `props`; `message` builds the text from the code and its description.
 */
export function errnoError(errno: number, message: (code: string, description: string) => string, props: object = {}): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, 'unknown error'];
  return Object.assign(new Error(message(code, description)), { code, errno: -errno, ...props });
}
