import type http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { MAX_ADMISSION_BODY_BYTES, Mutator, parseAdmissionReview, review } from './admission';

export const MUTATE_PODS_PATH = '/mutate-pods';

const tracer = trace.getTracer('skywalking-backstage');

export interface AdmissionObserver {
  onRequest(e: { durationMs: number; outcome: 'injected' | 'skipped' | 'refused' | 'error'; status: number }): void;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  mutate: Mutator;
  logger: LoggerService;
  observer?: AdmissionObserver;
}

/**
 * The HTTPS endpoint the Kubernetes API server calls for pod admission.
 * Bounded body size, JSON refusals with a reason, never a crash; the serving
 * certificate can be swapped without dropping the listener.
 */
export class WebhookServer {
  private server?: https.Server;

  constructor(private readonly options: WebhookServerOptions) {}

  async start(): Promise<number> {
    this.server = https.createServer(
      { cert: this.options.certPem, key: this.options.keyPem, minVersion: 'TLSv1.2' },
      (req, res) =>
        // one span per admission request, ended when the answer is written
        tracer.startActiveSpan('skywalking.admission', { attributes: { 'http.request.method': req.method ?? '', 'url.path': req.url ?? '' } }, span =>
          this.handle(req, res, span),
        ),
    );
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, span: Span) {
    const { logger, observer } = this.options;
    const started = process.hrtime.bigint();
    let done = false;
    const finish = (status: number, body: unknown, outcome: 'injected' | 'skipped' | 'refused' | 'error') => {
      if (done) return;
      done = true;
      const text = JSON.stringify(body);
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
      const parsed = parseAdmissionReview(Buffer.concat(chunks));
      if (!parsed.ok) {
        logger.warn(`refused admission request: ${parsed.message}`);
        finish(parsed.status, { error: parsed.message }, 'refused');
        return;
      }
      try {
        const r = await review(parsed.request, this.options.mutate);
        const key = `${parsed.request.namespace ?? ''}/${parsed.request.object?.metadata?.name ?? parsed.request.object?.metadata?.generateName ?? '?'}`;
        span.setAttributes({ 'skywalking.key': key, 'skywalking.admission.uid': parsed.request.uid });
        if (r.error) logger.warn(`admission ${key}: ${r.error}`, { key, uid: parsed.request.uid });
        else logger.debug(`admission ${key}: ${r.injected ? 'injected' : r.skipped}`, { key, uid: parsed.request.uid });
        let outcome: 'injected' | 'skipped' | 'error' = r.injected ? 'injected' : 'skipped';
        if (r.error) outcome = 'error';
        finish(200, r.review, outcome);
      } catch (e: any) {
        logger.error(`admission handler failed: ${e.message}`);
        finish(500, { error: e.message }, 'error');
      }
    });
  }

  /** Swaps the serving certificate in place (rotation). */
  setCertificate(certPem: string, keyPem: string) {
    this.server?.setSecureContext({ cert: certPem, key: keyPem });
  }

  async stop() {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>(resolve => s.close(() => resolve()));
  }
}
