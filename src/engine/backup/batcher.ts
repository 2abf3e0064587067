/**
 * Coalesces many small messages to one port into a single postMessage: with thousands of
 * small files, per-message overhead (~40 µs each) otherwise dominates the main thread.
 * A batch is sent when it holds `maxBytes`, when its oldest item is `maxDelayMs` old (so a
 * worker busy with a long list still streams results), or once the current burst is done.
 */
export interface Port {
  postMessage(value: unknown, transfer?: ArrayBuffer[]): void;
}

export interface Batch<T> {
  kind: 'batch';
  items: T[];
}

export class Batcher<T> {
  private items: T[] = [];
  private transfer: ArrayBuffer[] = [];
  private bytes = 0;
  private scheduled = false;
  private firstAt = 0;

  constructor(
    private readonly port: Port,
    private readonly maxBytes = 1 << 20,
    private readonly maxDelayMs = 1,
  ) {}

  push(item: T, transfer: ArrayBuffer[] = []): void {
    if (this.items.length === 0) this.firstAt = performance.now();
    this.items.push(item);
    for (const t of transfer) {
      this.transfer.push(t);
      this.bytes += t.byteLength;
    }
    if (this.bytes >= this.maxBytes || performance.now() - this.firstAt >= this.maxDelayMs) this.flush();
    else this.flushSoon();
  }

  flushSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush(): void {
    if (this.items.length === 0) return;
    const batch: Batch<T> = { kind: 'batch', items: this.items };
    const transfer = this.transfer;
    this.items = [];
    this.transfer = [];
    this.bytes = 0;
    this.port.postMessage(batch, transfer);
  }
}
