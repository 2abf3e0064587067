/**
 * Restore's writer worker: turns pack pieces the main thread read into file content
 * (see PieceWriter), so checking, decryption, decompression and writing use every core
 * while the main thread reads packs and sets metadata.
 */
import { parentPort } from 'node:worker_threads';
import type { CryptoKey } from '../../crypto/index.js';
import { Batcher } from '../backup/batcher.js';
import { PieceWriter } from './piece-writer.js';
import type { WriterMessage, WriterReply } from './write-protocol.js';

let key: CryptoKey;
let writer: PieceWriter;
const out = new Batcher<WriterReply>(parentPort!);

parentPort!.on('message', (msg: WriterMessage) => {
  switch (msg.kind) {
    case 'init':
      key = { encrypt: new Uint8Array(msg.key.encrypt), macK: new Uint8Array(msg.key.macK), macR: new Uint8Array(msg.key.macR) };
      return;
    case 'plan':
      writer = new PieceWriter(key, msg.plan);
      return;
    case 'piece':
      out.push({ seq: msg.seq, result: writer.write(msg.packId, new Uint8Array(msg.bytes, msg.offset, msg.length), msg.base, msg.blobs) });
      break;
    case 'close':
      writer?.close();
      out.push({ closed: true });
      break;
  }
  out.flush();
});
