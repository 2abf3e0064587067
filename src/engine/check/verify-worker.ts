/**
 * Worker thread for `check --read-data`: verifies packs the main thread downloaded, so
 * hashing, decryption and decompression use every core while the main thread does I/O.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CryptoKey } from '../../crypto/index.js';
import { verifyPack } from './pack-verify.js';
import type { VerifyRequest, VerifyResponse, VerifyWorkerInit } from './verify-protocol.js';

const init = workerData as VerifyWorkerInit;
const key: CryptoKey = { encrypt: new Uint8Array(init.encrypt), macK: new Uint8Array(init.macK), macR: new Uint8Array(init.macR) };

parentPort!.on('message', (req: VerifyRequest) => {
  let res: VerifyResponse;
  try {
    res = { seq: req.seq, problems: verifyPack(key, { packId: req.packId, bytes: new Uint8Array(req.bytes), blobs: req.blobs }) };
  } catch (err) {
    res = { seq: req.seq, problems: [`internal error while verifying: ${err instanceof Error ? err.message : String(err)}`] };
  }
  parentPort!.postMessage(res);
});
