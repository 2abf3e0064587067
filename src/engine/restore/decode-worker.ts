/**
 * Restore's decode worker: opens the blobs of a pack range (MAC, decryption, decompression,
 * hash check) and streams the plaintexts back, so the main thread only writes files.
 */
import { parentPort } from 'node:worker_threads';
import type { CryptoKey } from '../../crypto/index.js';
import { decodeBlob } from '../../repository/index.js';
import { Batcher } from '../backup/batcher.js';
import { ownedArrayBuffer } from '../backup/transfer.js';
import { noteBufferChurn } from '../buffer-gc.js';
import type { DecodedBlob, DecodeJob, DecoderInit } from './decode-protocol.js';

let key: CryptoKey;
const out = new Batcher<DecodedBlob>(parentPort!);

parentPort!.on('message', (msg: DecoderInit | DecodeJob) => {
  if (msg.kind === 'init') {
    key = { encrypt: new Uint8Array(msg.key.encrypt), macK: new Uint8Array(msg.key.macK), macR: new Uint8Array(msg.key.macR) };
    return;
  }
  const bytes = new Uint8Array(msg.bytes);
  for (let index = 0; index < msg.blobs.length; index++) {
    const b = msg.blobs[index]!;
    try {
      const sealed = bytes.subarray(b.offset - msg.base, b.offset - msg.base + b.length);
      const plain = ownedArrayBuffer(decodeBlob(key, 'data', b.id, sealed, b.uncompressedLength, msg.packId, { overwrite: true }));
      out.push({ seq: msg.seq, index, plain }, [plain]);
      noteBufferChurn(plain.byteLength);
    } catch (err) {
      out.push({ seq: msg.seq, index, error: (err as Error).message });
    }
  }
  out.push({ seq: msg.seq, index: msg.blobs.length, done: true });
  out.flush();
  noteBufferChurn(msg.bytes.byteLength * 2);
});
