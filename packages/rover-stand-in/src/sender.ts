/**
 * Streams one node's access logs to OAP (EBPFAccessLogService/collect), as
 * Rover streams each node's. Messages wait in a bounded buffer; every batch
 * is one stream: the node info first, the messages, then the end of the
 * stream, and OAP's answer (it answers after handling every message of the
 * stream) confirms the batch. A failed batch goes back to the buffer and is
 * retried with exponential backoff. Nothing here waits on OAP: `send` only
 * buffers; when the buffer is full the oldest messages are dropped, counted,
 * and logged as dropped.
 */
import * as grpc from '@grpc/grpc-js';
import { EBPFAccessLogMessage } from './protocol';
import { NodeView, nodeInfo } from './messages';

export interface SenderOptions {
  /** an EBPFAccessLogService client (protocol.ts accessLogClientConstructor); none while OAP's address is not known */
  client?: grpc.Client;
  node: NodeView;
  log: (message: string) => void;
  /** messages kept while OAP does not take them (default 10000); beyond, the oldest are dropped */
  maxBuffered?: number;
  /** messages per stream (default 500) */
  maxBatch?: number;
  /** wait between batches, to gather lines into one stream (default 1000 ms) */
  batchIntervalMs?: number;
  /** deadline of one stream (default 15 s): a hung OAP fails the batch, which is retried */
  streamTimeoutMs?: number;
  /** backoff after a failed batch, doubling from min to max (default 500 ms .. 30 s) */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface SenderStats {
  /** messages OAP confirmed (its answer at the end of their stream) */
  delivered: number;
  /** messages dropped because the buffer was full */
  dropped: number;
  buffered: number;
  /** batches that failed (and were put back) */
  failedBatches: number;
  /** whether the last batch reached OAP (undefined before the first) */
  connected?: boolean;
}

export class AccessLogSender {
  private readonly queue: EBPFAccessLogMessage[] = [];
  private readonly o: Required<Omit<SenderOptions, 'client' | 'node' | 'log'>>;
  private readonly st: SenderStats = { delivered: 0, dropped: 0, buffered: 0, failedBatches: 0 };
  private stopped = false;
  private wake?: () => void;
  private loop: Promise<void>;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  private current?: grpc.ClientWritableStream<EBPFAccessLogMessage>;
  private client?: grpc.Client;

  constructor(private readonly so: SenderOptions) {
    this.client = so.client;
    this.o = {
      maxBuffered: so.maxBuffered ?? 10_000,
      maxBatch: so.maxBatch ?? 500,
      batchIntervalMs: so.batchIntervalMs ?? 1000,
      streamTimeoutMs: so.streamTimeoutMs ?? 15_000,
      minBackoffMs: so.minBackoffMs ?? 500,
      maxBackoffMs: so.maxBackoffMs ?? 30_000,
    };
    this.loop = this.run();
  }

  /** Buffers one message; never waits. */
  send(message: EBPFAccessLogMessage) {
    if (this.stopped) return;
    this.queue.push(message);
    this.trim();
    this.wake?.();
  }

  /** Sends the next batches through another client (OAP moved to another address). */
  setClient(client: grpc.Client) {
    this.client = client;
  }

  stats(): SenderStats {
    return { ...this.st, buffered: this.queue.length };
  }

  /** Stops sending; what is still buffered is counted as dropped. */
  async stop() {
    this.stopped = true;
    this.current?.cancel();
    this.wake?.();
    await this.loop;
    if (this.queue.length) {
      this.so.log(`node ${this.so.node.name}: stopped with ${this.queue.length} access logs not sent to OAP (dropped)`);
      this.st.dropped += this.queue.length;
      this.queue.length = 0;
    }
  }

  private trim() {
    const over = this.queue.length - this.o.maxBuffered;
    if (over <= 0) return;
    this.queue.splice(0, over);
    this.st.dropped += over;
    this.droppedSinceLog += over;
    const now = Date.now();
    // one line per 10 s at most, not one per message
    if (now - this.lastDropLog >= 10_000) {
      this.so.log(
        `node ${this.so.node.name}: dropped ${this.droppedSinceLog} access logs (buffer full at ${this.o.maxBuffered}: OAP is not taking them); ${this.st.dropped} dropped in all`,
      );
      this.droppedSinceLog = 0;
      this.lastDropLog = now;
    }
  }

  private sleep(ms: number) {
    return new Promise<void>(resolve => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private async run() {
    let backoff = this.o.minBackoffMs;
    while (!this.stopped) {
      if (this.queue.length === 0) {
        await this.sleep(this.o.batchIntervalMs * 10);
        continue;
      }
      const batch = this.queue.splice(0, this.o.maxBatch);
      try {
        await this.stream(batch);
        this.st.delivered += batch.length;
        if (this.st.connected === false) this.so.log(`node ${this.so.node.name}: OAP takes access logs again (${this.queue.length} buffered)`);
        this.st.connected = true;
        backoff = this.o.minBackoffMs;
        await this.sleep(this.o.batchIntervalMs);
      } catch (e) {
        this.st.failedBatches++;
        // back in front, in order; the bound still holds
        this.queue.unshift(...batch);
        this.trim();
        if (this.st.connected !== false) {
          this.so.log(`node ${this.so.node.name}: OAP did not take ${batch.length} access logs (${(e as Error).message}); retrying with backoff, buffering up to ${this.o.maxBuffered}`);
        }
        this.st.connected = false;
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
      }
    }
  }

  /** One stream: node info on the first message, the batch, end; resolves on OAP's answer. */
  private stream(batch: EBPFAccessLogMessage[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.client) {
        reject(new Error("OAP's address is not known yet"));
        return;
      }
      const deadline = new Date(Date.now() + this.o.streamTimeoutMs);
      const call: grpc.ClientWritableStream<EBPFAccessLogMessage> = (this.client as any).collect(
        { deadline },
        (err: grpc.ServiceError | null) => {
          this.current = undefined;
          if (err) reject(new Error(`${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
          else resolve();
        },
      );
      this.current = call;
      call.on('error', () => {
        // reported through the callback
      });
      batch.forEach((m, i) => call.write(i === 0 ? { node: nodeInfo(this.so.node), ...m } : m));
      call.end();
    });
  }
}
