/**
 * Worker thread for `check --read-data`: verifies the blobs of pack pieces the main thread
 * read, so decryption, decompression and hashing use every core while the main thread does I/O.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CryptoKey } from '../../crypto/index.js';
import { blobVerifier, verifyBlobs } from './pack-verify.js';
import type { VerifyRequest, VerifyResponse, VerifyWorkerInit } from './verify-protocol.js';

const init = workerData as VerifyWorkerInit;
const key: CryptoKey = { encrypt: new Uint8Array(init.encrypt), macK: new Uint8Array(init.macK), macR: new Uint8Array(init.macR) };
const verifier = blobVerifier(key);

parentPort!.on('message', (req: VerifyRequest) => {
  let res: VerifyResponse;
  try {
    res = { seq: req.seq, problems: verifyBlobs(verifier, new Uint8Array(req.bytes, req.offset, req.length), req.base, req.blobs) };
  } catch (err) {
    res = { seq: req.seq, problems: [`internal error while verifying: ${err instanceof Error ? err.message : String(err)}`] };
  }
  parentPort!.postMessage(res);
});
