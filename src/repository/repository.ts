import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { handle, listNames, type Backend, type FileType } from '../backend/index.js';
import { derivePolynomial, formatPolynomial, isIrreducible, parsePolynomial } from '../chunker/index.js';
import { keyFromBytes, open, seal, sha256Hex, type CryptoKey, type ScryptParams } from '../crypto/index.js';
import { BackendNotFoundError, FormatError, IntegrityError, NotFoundError, RepositoryNotFoundError, UsageError } from '../errors/index.js';
import type { BlobType } from '../format/blob.js';
import { zstdCompressToScratch, type CompressionMode } from '../format/compression.js';
import { decodeConfig, encodeConfig, type RepoConfig } from '../format/config.js';
import { decodeIndex, encodeIndex, type IndexPack } from '../format/index-file.js';
import { decodeSnapshot, encodeSnapshot, type Snapshot } from '../format/snapshot.js';
import { decodeUnpacked, encodeUnpacked } from '../format/unpacked.js';
import { addKey, searchKey } from './keys.js';
import { decodeBlob, type DecodeOptions } from './blob-codec.js';
import { MasterIndex } from './master-index.js';
import { DEFAULT_PACK_SIZE, PackWriter, type FinishedPack } from './pack-writer.js';
import { mapLimit } from '../util/index.js';

export interface RepositoryOptions {
  compression?: CompressionMode;
  packSize?: number;
}

export interface InitOptions {
  version?: number;
  /** Chunker polynomial to use (hex), e.g. copied from another repository. */
  chunkerPolynomial?: string;
  kdf?: ScryptParams;
}

export interface SnapshotWithId extends Snapshot {
  id: string;
}

/** Tree packs up to this many bytes are read ahead; beyond it the page cache would only churn. */
const TREE_PREFETCH_BYTES = 512 << 20;

/** restic 0.14 writes an index once it holds this many blobs (compressed repos). */
const INDEX_MAX_BLOBS = 150000;

/**
 * An open repository: master key, config, the blob index, and the writers that turn blobs
 * into packs. Ordering rule (restic's design): packs are durable before the index that names
 * them, and the index before any snapshot that needs it.
 */
export class Repository {
  readonly index = new MasterIndex();
  compression: CompressionMode;
  readonly packSize: number;
  /** When set, blobs are deduplicated and counted but nothing is written (--dry-run). */
  dryRun = false;
  /**
   * Settles once it is safe to write (the lock is held); every write but a lock file waits
   * for it, and fails if it rejects. Lets an operation read while its lock is being taken.
   */
  writeGate: Promise<void> = Promise.resolve();
  private readonly writers = new Map<BlobType, PackWriter>();
  private readonly pending = { data: new Set<string>(), tree: new Set<string>() };
  private readonly uploads = new Set<Promise<void>>();
  private unindexed: IndexPack[] = [];
  private unindexedBlobs = 0;
  private uploadError: unknown;

  private constructor(
    readonly backend: Backend,
    readonly key: CryptoKey,
    readonly config: RepoConfig,
    readonly keyId: string,
    opts: RepositoryOptions,
  ) {
    this.compression = config.version >= 2 ? (opts.compression ?? 'auto') : 'off';
    this.packSize = opts.packSize ?? DEFAULT_PACK_SIZE;
  }

  get version(): number {
    return this.config.version;
  }

  get polynomial(): bigint {
    return parsePolynomial(this.config.chunkerPolynomial);
  }

  static async open(backend: Backend, password: string, opts: RepositoryOptions & { keyHint?: string } = {}): Promise<Repository> {
    try {
      await backend.stat(handle('config', 'config'));
    } catch (err) {
      if (err instanceof BackendNotFoundError) {
        throw new RepositoryNotFoundError(`repository does not exist: unable to open config file at ${backend.location}`, {
          hint: 'check the repository location (-r/RESTIC_REPOSITORY) or create it with `cofre init`',
          cause: err,
        });
      }
      throw err;
    }
    const k = await searchKey(backend, password, opts.keyHint);
    const raw = await backend.load(handle('config', 'config'));
    const plain = open(k.masterKey, raw, 'config');
    const config = decodeConfig(plain);
    if (!isIrreducible(parsePolynomial(config.chunkerPolynomial))) throw new FormatError('config: chunker polynomial is not irreducible');
    return new Repository(backend, k.masterKey, config, k.keyId, opts);
  }

  static async init(backend: Backend, password: string, opts: InitOptions & RepositoryOptions = {}): Promise<Repository> {
    const version = opts.version ?? 2;
    if (version !== 1 && version !== 2) throw new UsageError(`repository version ${version} is not supported`, { hint: 'use --repository-version 1 or 2' });
    const exists = await backend.stat(handle('config', 'config')).then(
      () => true,
      (err) => (err instanceof BackendNotFoundError ? false : Promise.reject(err)),
    );
    if (exists) throw new UsageError(`config file already exists: a repository is already initialized at ${backend.location}`);
    await backend.create();
    for await (const _ of backend.list('keys')) {
      throw new UsageError(`${backend.location} already contains key files; refusing to initialize over them`);
    }
    const masterKey = keyFromBytes(randomBytes(64));
    const pol = opts.chunkerPolynomial ?? formatPolynomial(derivePolynomial((n) => randomBytes(n)));
    const config: RepoConfig = { version, id: randomBytes(32).toString('hex'), chunkerPolynomial: pol };
    // restic's order: the key first, then the config that makes the repository "exist".
    const keyId = await addKey(backend, masterKey, password, opts.kdf);
    await backend.save(handle('config', 'config'), seal(masterKey, randomBytes(16), encodeConfig(config)));
    return new Repository(backend, masterKey, config, keyId, opts);
  }

  // ---- unpacked files (index, snapshots, locks) ----

  /** Loads, verifies (name = SHA-256 of content, MAC) and decodes an unpacked file. */
  async loadUnpacked(type: FileType, id: string): Promise<Buffer> {
    const raw = await this.backend.load(handle(type, id));
    const what = `${type}/${id}`;
    if (sha256Hex(raw) !== id) {
      throw new IntegrityError(`${what} is corrupted: its content does not match its name (${raw.length} bytes)`, { context: { file: what } });
    }
    return decodeUnpacked(open(this.key, raw, what), this.version, what);
  }

  async saveUnpacked(type: FileType, json: Uint8Array): Promise<string> {
    if (type !== 'locks') await this.writeGate;
    const raw = seal(this.key, randomBytes(16), encodeUnpacked(json, this.version));
    const id = sha256Hex(raw);
    await this.backend.save(handle(type, id), raw);
    return id;
  }

  // ---- index ----

  private indexLoad: Promise<void> | undefined;

  /** Loads every index file once; later calls share the first load (unless they want per-file errors). */
  loadIndex(onError?: (id: string, err: unknown) => void): Promise<void> {
    if (onError) return this.readIndexFiles(onError);
    this.indexLoad ??= this.readIndexFiles();
    return this.indexLoad;
  }

  private async readIndexFiles(onError?: (id: string, err: unknown) => void): Promise<void> {
    const ids = await listNames(this.backend, 'index');
    await mapLimit(ids, 8, async (id) => {
      try {
        const idx = decodeIndex(await this.loadUnpacked('index', id), `index/${id}`);
        for (const p of idx.packs) this.index.addPack(p.id, p.blobs);
      } catch (err) {
        if (onError) onError(id, err);
        else throw err;
      }
    });
  }

  // ---- blobs ----

  hasBlob(type: BlobType, id: string): boolean {
    return this.pending[type].has(id) || this.index.has(type, id);
  }

  async loadBlob(type: BlobType, id: string): Promise<Buffer> {
    const e = this.index.lookup(type, id);
    if (!e) throw new NotFoundError(`${type} blob ${id} not found in index`, { hint: 'run `cofre check`; the repository may need `repair index`' });
    const raw = await this.backend.load(handle('data', e.packId), e.offset, e.length);
    return decodeBlob(this.key, type, id, raw, e.uncompressedLength, e.packId, { overwrite: true });
  }

  /**
   * Asks the backend to read the packs holding trees ahead (a local backend starts the
   * kernel's read-ahead), up to TREE_PREFETCH_BYTES. A tree walk then reads each pack from
   * the page cache instead of one small disk read per tree, as restic gets by caching tree packs.
   */
  async prefetchTreePacks(): Promise<void> {
    if (!this.backend.prefetch) return;
    let bytes = 0;
    const chosen: string[] = [];
    for (const [id, size] of this.index.packsHolding('tree')) {
      bytes += size;
      if (bytes > TREE_PREFETCH_BYTES) break;
      chosen.push(id);
    }
    await mapLimit(chosen, 8, (id) => this.backend.prefetch!(handle('data', id)));
  }

  /** Decrypts, decompresses and verifies one sealed blob. */
  decodeBlob(type: BlobType, id: string, sealed: Uint8Array, uncompressedLength: number, packId: string, opts?: DecodeOptions): Buffer {
    return decodeBlob(this.key, type, id, sealed, uncompressedLength, packId, opts);
  }

  /** Compresses (per mode; trees always in v2) and seals a plaintext blob. */
  sealBlob(type: BlobType, plain: Uint8Array): { sealed: Buffer; uncompressedLength: number } {
    const compress = this.version >= 2 && plain.length > 0 && (type === 'tree' || this.compression !== 'off');
    if (!compress) return { sealed: seal(this.key, randomBytes(16), plain), uncompressedLength: 0 };
    const z = zstdCompressToScratch(plain, this.compression === 'max' ? 'max' : 'auto');
    return { sealed: seal(this.key, randomBytes(16), z), uncompressedLength: plain.length };
  }

  /** Stores a blob unless the repository already has it. Returns whether it was new. */
  async saveBlob(type: BlobType, plain: Uint8Array, id = sha256Hex(plain)): Promise<{ id: string; added: boolean; packedSize: number }> {
    if (this.hasBlob(type, id)) return { id, added: false, packedSize: 0 };
    const { sealed, uncompressedLength } = this.sealBlob(type, plain);
    await this.addSealedBlob(type, id, sealed, uncompressedLength);
    return { id, added: true, packedSize: sealed.length };
  }

  /** Adds an already sealed blob (e.g. from a worker); waits while too many packs are uploading. */
  async addSealedBlob(type: BlobType, id: string, sealed: Uint8Array, uncompressedLength: number): Promise<void> {
    if (this.uploadError) throw this.uploadError;
    if (this.hasBlob(type, id)) return;
    let w = this.writers.get(type);
    if (!w) {
      w = new PackWriter(type, this.key, this.packSize, this.backend.stagingDir?.());
      this.writers.set(type, w);
    }
    this.pending[type].add(id);
    if (this.dryRun) return;
    await this.writeGate; // not even a staging file before the lock is held
    const queued = w.add(id, sealed, uncompressedLength);
    // Checked right after the synchronous append, so a pack is closed exactly when it fills,
    // however many callers add at once.
    if (w.full) await this.startUpload(w.finish());
    await queued;
  }

  /** Finishes the writer's pack and stores it in the background (bounded by the backend's connections). */
  private async startUpload(finishing: Promise<FinishedPack>): Promise<void> {
    finishing.catch(() => undefined); // observed below; avoid an unhandled rejection meanwhile
    while (this.uploads.size >= this.backend.connections) await Promise.race(this.uploads);
    if (this.uploadError) throw this.uploadError;
    const p: Promise<void> = finishing
      .then((pack) => this.storePack(pack).then(() => pack))
      .then(async (pack) => {
        this.index.addPack(pack.id, pack.blobs);
        for (const b of pack.blobs) this.pending[b.type].delete(b.id);
        this.unindexed.push({ id: pack.id, blobs: pack.blobs });
        this.unindexedBlobs += pack.blobs.length;
        if (this.unindexedBlobs >= INDEX_MAX_BLOBS) await this.writeIndex();
      })
      .catch((err) => {
        this.uploadError ??= err;
      })
      .finally(() => this.uploads.delete(p));
    this.uploads.add(p);
  }

  /**
   * Removes pack staging files an interrupted process left behind (restic and rest-server
   * ignore them; this only reclaims space). Only files older than an hour: a concurrent
   * writer finishes a pack in seconds.
   */
  async removeStaleStaging(now = Date.now()): Promise<number> {
    const dir = this.backend.stagingDir?.();
    if (!dir || this.dryRun) return 0;
    await this.writeGate;
    let removed = 0;
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      if (!/^\.cofre-pack-[0-9a-f]+\.tmp$/.test(name)) continue;
      const p = path.join(dir, name);
      const st = await fsp.stat(p).catch(() => undefined);
      if (st && now - st.mtimeMs > 3600_000) {
        await fsp.rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Moves a finished pack into the backend (adopting the staged file where possible) and removes the staging file. */
  async storePack(pack: FinishedPack): Promise<void> {
    const h = handle('data', pack.id);
    try {
      if (this.backend.adopt) await this.backend.adopt(h, pack.stagedPath);
      else await this.backend.save(h, await fsp.readFile(pack.stagedPath));
    } finally {
      await fsp.rm(pack.stagedPath, { force: true });
    }
  }

  /** Finishes open packs, waits for uploads and writes the index for everything uploaded. */
  async flush(): Promise<string[]> {
    if (!this.dryRun) for (const w of this.writers.values()) if (w.count > 0) await this.startUpload(w.finish());
    while (this.uploads.size) await Promise.race(this.uploads);
    if (this.uploadError) throw this.uploadError;
    return this.writeIndex();
  }

  private async writeIndex(): Promise<string[]> {
    const ids: string[] = [];
    if (this.dryRun) return ids;
    while (this.unindexed.length) {
      const packs: IndexPack[] = [];
      let n = 0;
      while (this.unindexed.length && n < INDEX_MAX_BLOBS) {
        const p = this.unindexed.shift()!;
        packs.push(p);
        n += p.blobs.length;
      }
      this.unindexedBlobs -= n;
      ids.push(await this.saveUnpacked('index', encodeIndex({ packs })));
    }
    return ids;
  }

  // ---- snapshots ----

  async loadSnapshot(id: string): Promise<SnapshotWithId> {
    return { ...decodeSnapshot(await this.loadUnpacked('snapshots', id), `snapshots/${id}`), id };
  }

  async saveSnapshot(s: Snapshot): Promise<string> {
    return this.saveUnpacked('snapshots', encodeSnapshot(s));
  }

  async listSnapshots(): Promise<SnapshotWithId[]> {
    const ids = await listNames(this.backend, 'snapshots');
    return mapLimit(ids, 8, (id) => this.loadSnapshot(id));
  }

  /** Resolves a unique id prefix among the files of a type. */
  async findId(type: FileType, prefix: string): Promise<string> {
    const matches: string[] = [];
    for await (const f of this.backend.list(type)) if (f.name.startsWith(prefix)) matches.push(f.name);
    if (matches.length === 0) throw new NotFoundError(`no ${type} file matching ID '${prefix}'`);
    if (matches.length > 1) throw new UsageError(`ID prefix '${prefix}' is ambiguous (${matches.length} ${type} files match)`, { hint: 'give more characters of the ID' });
    return matches[0]!;
  }

  async addKey(password: string, params?: ScryptParams, user?: { username?: string; hostname?: string }): Promise<string> {
    return addKey(this.backend, this.key, password, params, user);
  }
}

