/**
 * The storage port. Every backend (local, rest, …) stores opaque, content-addressed files
 * by (type, name); it never sees keys or plaintext. Writes are atomic: after `save`
 * resolves the file is durable and complete, and a failed `save` leaves nothing behind.
 */
export type FileType = 'config' | 'data' | 'index' | 'keys' | 'locks' | 'snapshots';

export const FILE_TYPES: readonly FileType[] = ['config', 'data', 'index', 'keys', 'locks', 'snapshots'];

export interface Handle {
  readonly type: FileType;
  /** 64-hex id for every type but config, whose name is always 'config'. */
  readonly name: string;
}

export interface FileInfo {
  readonly name: string;
  readonly size: number;
}

export interface Backend {
  /** Location with any password removed, for messages. */
  readonly location: string;
  /** How many requests may usefully run at once. */
  readonly connections: number;
  /** Creates the repository layout (idempotent). */
  create(): Promise<void>;
  /** Atomically stores a new file; refuses to overwrite an existing one. */
  save(h: Handle, data: Uint8Array): Promise<void>;
  /** Reads a whole file, or `length` bytes at `offset` (length 0 = to the end). */
  load(h: Handle, offset?: number, length?: number): Promise<Buffer>;
  /** Size of a file; throws BackendNotFoundError if missing. */
  stat(h: Handle): Promise<FileInfo>;
  /** All files of a type (names that are not ids are skipped). */
  list(type: FileType): AsyncIterable<FileInfo>;
  /**
   * Optional fast path for large files: a directory on the backend's own file system where
   * a file can be staged, and `adopt` to move a staged, fsynced file into place atomically
   * (never overwriting). Backends without it receive the staged file's bytes via `save`.
   */
  stagingDir?(): string;
  adopt?(h: Handle, stagedPath: string): Promise<void>;
  /** Removes a file; removing a missing file is not an error. */
  remove(h: Handle): Promise<void>;
  /** Reads `into.length` bytes at `offset` into a buffer the caller owns (e.g. a reused one). */
  loadInto?(h: Handle, offset: number, into: Uint8Array): Promise<void>;
  /**
   * A hint that the file will be read piece by piece soon (tree packs during a walk): a
   * local backend starts reading it into the page cache. Never fails; may do nothing.
   */
  prefetch?(h: Handle): Promise<void>;
  close(): Promise<void>;
}

export function handle(type: FileType, name: string): Handle {
  return { type, name: type === 'config' ? 'config' : name };
}

export function describeHandle(h: Handle): string {
  return h.type === 'config' ? 'config' : `${h.type}/${h.name}`;
}

/** The names of every file of one type, in listing order. */
export async function listNames(backend: Backend, type: FileType): Promise<string[]> {
  const names: string[] = [];
  for await (const f of backend.list(type)) names.push(f.name);
  return names;
}
