/**
 * Seal worker: compresses (zstd, per the repository's mode) and encrypts the data and tree
 * blobs that the main thread found to be new. Separate from chunking so one large file keeps every core busy.
 */
import { native } from '../../native/binding.js';
import { POOL_WORKER_NICE } from '../batch-worker.js';
import { randomBytes } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { seal, type CryptoKey } from '../../crypto/index.js';
import { zstdCompressToScratch } from '../../format/compression.js';
import type { SealedMessage, SealerInit, SealJob } from './chunk-protocol.js';
import { ownedArrayBuffer } from '../transfer.js';
import { Batcher, type Batch } from './batcher.js';
import { noteBufferChurn } from '../buffer-gc.js';

// The main thread walks the tree and feeds every worker: it runs first when cores are short.
native.lowerThreadPriority(POOL_WORKER_NICE);

let init: SealerInit;
let key: CryptoKey;

const out = new Batcher<SealedMessage>(parentPort!);

function sealOne(job: SealJob): void {
  const plain = new Uint8Array(job.data);
  const mode = job.tree ? init.treeCompression : init.compression;
  const compress = mode !== 'off' && plain.length > 0;
  const body = compress ? zstdCompressToScratch(plain, mode === 'max' ? 'max' : 'auto') : plain;
  const sealed = ownedArrayBuffer(seal(key, randomBytes(16), body));
  out.push({ kind: 'sealed', seq: job.seq, sealed, uncompressedLength: compress ? plain.length : 0 }, [sealed]);
  noteBufferChurn(plain.length);
}

parentPort!.on('message', (msg: SealerInit | Batch<SealJob>) => {
  if (msg.kind === 'init') {
    init = msg;
    key = { encrypt: new Uint8Array(msg.key.encrypt), macK: new Uint8Array(msg.key.macK), macR: new Uint8Array(msg.key.macR) };
  } else for (const job of msg.items) sealOne(job);
});
