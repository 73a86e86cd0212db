import type http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { AdmissionOutcome, MAX_ADMISSION_BODY_BYTES } from './admission';
import { AdmissionPool, MutatorModule } from './admissionPool';

export const MUTATE_PODS_PATH = '/mutate-pods';

const tracer = trace.getTracer('skywalking-backstage');

export interface AdmissionObserver {
  onRequest(e: { durationMs: number; outcome: AdmissionOutcome; status: number }): void;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** the mutator the worker threads load; default the portal's own (webhook/podMutator.ts) */
  mutator?: MutatorModule;
  /** admission worker threads; default 2 */
  workers?: number;
  /** per-request deadline in ms; past it the pod is admitted unchanged with a warning. Default 2000. */
  deadlineMs?: number;
  /** PEM CA(s) the API server's client certificate must chain to; when set, clients without one are refused */
  clientCaPem?: string;
  logger: LoggerService;
  observer?: AdmissionObserver;
}

/**
 * The HTTPS endpoint the Kubernetes API server calls for pod admission.
 * Bounded body size, JSON refusals with a reason, never a crash; the serving
 * certificate can be swapped without dropping the listener. The review
 * itself runs in worker threads with a deadline (admissionPool.ts): this
 * process's event loop only moves bytes.
 */
export class WebhookServer {
  private server?: https.Server;
  private pool?: AdmissionPool;

  constructor(private readonly options: WebhookServerOptions) {}

  /** The worker pool (started with the server). */
  get admissionPool(): AdmissionPool | undefined {
    return this.pool;
  }

  async start(): Promise<number> {
    const { logger } = this.options;
    this.pool = new AdmissionPool({
      size: this.options.workers,
      deadlineMs: this.options.deadlineMs ?? 2000,
      mutator: this.options.mutator,
      onReplaced: reason => logger.warn(`admission worker replaced: ${reason}`),
    });
    await this.pool.start();
    const mtls = this.options.clientCaPem ? { ca: this.options.clientCaPem, requestCert: true, rejectUnauthorized: true } : {};
    this.server = https.createServer(
      { cert: this.options.certPem, key: this.options.keyPem, minVersion: 'TLSv1.2', ...mtls },
      (req, res) =>
        // one span per admission request, ended when the answer is written
        tracer.startActiveSpan('skywalking.admission', { attributes: { 'http.request.method': req.method ?? '', 'url.path': req.url ?? '' } }, span =>
          this.handle(req, res, span),
        ),
    );
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
    try {
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(this.options.port, this.options.host, () => resolve());
      });
    } catch (e) {
      // e.g. the port is taken: no worker threads left behind
      this.server = undefined;
      await this.pool.stop();
      throw e;
    }
    return (this.server.address() as AddressInfo).port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, span: Span) {
    const { logger, observer } = this.options;
    const started = process.hrtime.bigint();
    let done = false;
    const finish = (status: number, body: unknown, outcome: AdmissionOutcome) => {
      if (done) return;
      done = true;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      span.setAttributes({ 'skywalking.admission.outcome': outcome, 'http.response.status_code': status });
      if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      observer?.onRequest({ durationMs: Number(process.hrtime.bigint() - started) / 1e6, outcome, status });
    };
    if (req.method === 'GET' && req.url === '/healthz') {
      finish(200, { status: 'ok' }, 'skipped');
      return;
    }
    if (req.method !== 'POST' || req.url?.split('?')[0] !== MUTATE_PODS_PATH) {
      finish(404, { error: `no such endpoint: ${req.method} ${req.url}; POST ${MUTATE_PODS_PATH}` }, 'refused');
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/json')) {
      finish(415, { error: `content-type must be application/json, got "${type}"` }, 'refused');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      if (aborted) return;
      size += c.length;
      if (size > MAX_ADMISSION_BODY_BYTES) {
        aborted = true;
        finish(413, { error: `body exceeds ${MAX_ADMISSION_BODY_BYTES} bytes` }, 'refused');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => {
      aborted = true;
      if (!done) {
        done = true;
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
        span.end();
      }
    });
    req.on('end', async () => {
      if (aborted) return;
      const a = await this.pool!.run(Buffer.concat(chunks));
      if (a.key) span.setAttributes({ 'skywalking.key': a.key });
      if (a.uid) span.setAttributes({ 'skywalking.admission.uid': a.uid });
      if (a.warning) logger.warn(a.warning, { key: a.key, uid: a.uid });
      else logger.debug(`admission ${a.key}: ${a.outcome}`, { key: a.key, uid: a.uid });
      finish(a.status, a.text, a.outcome);
    });
  }

  /** Swaps the serving certificate in place (rotation). */
  setCertificate(certPem: string, keyPem: string) {
    this.server?.setSecureContext({ cert: certPem, key: keyPem });
  }

  async stop() {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections?.();
      await new Promise<void>(resolve => s.close(() => resolve()));
    }
    await this.pool?.stop();
  }
}
