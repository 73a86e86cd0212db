/*
 * The body of an admission worker thread: loads the mutator named in
 * workerData, then answers one request at a time from the pool (see
 * admissionPool.ts). A hostile review can only stall this thread; the pool
 * answers it at the deadline and replaces the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { admit, Mutator } from './admission';
import type { MutatorModule, WorkerReply, WorkerRequest } from './admissionPool';

async function main() {
  const spec = (workerData as { mutator: MutatorModule }).mutator;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(spec.module)[spec.export];
  if (typeof factory !== 'function') throw new Error(`${spec.module} exports no function ${spec.export}`);
  const mutate: Mutator = factory(spec.options ?? {});
  const port = parentPort!;
  port.on('message', async (m: WorkerRequest) => {
    const reply = (r: WorkerReply) => port.postMessage(r);
    const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
    const answer = await admit(body, mutate, uid => reply({ id: m.id, type: 'parsed', uid }));
    reply({ id: m.id, type: 'answer', answer });
  });
  port.postMessage({ id: 0, type: 'ready' } satisfies WorkerReply);
}

/** Runs in the worker thread (admissionPool.ts's bootstrap calls it); importing this module does nothing. */
export function startAdmissionWorker() {
  main().catch(e => {
    // the pool reports why the thread could not start
    parentPort?.postMessage({ id: 0, type: 'failed', message: String(e?.stack ?? e) } satisfies WorkerReply);
  });
}
