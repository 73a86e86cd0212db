import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import fs from 'node:fs';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureWebhookConfiguration } from '../tracing/admissionMutator';
import { Mutator } from './admission';
import { generateServingCertificate, needsRotation, ServingCertificate } from './certificates';
import { AdmissionObserver, WebhookServer } from './server';

const VALIDITY_MS = 30 * 24 * 3600_000;

/**
 * Runs the admission webhook: serving certificate (from config, or generated
 * and rotated here), the HTTPS server, and the MutatingWebhookConfiguration in
 * every cluster that uses webhook mode, kept in step with the CA.
 */
export class WebhookManager {
  private cert?: ServingCertificate;
  private server?: WebhookServer;
  private readonly fromFiles: boolean;
  readonly port: number;
  readonly host: string;
  readonly timeoutSeconds: number;

  constructor(
    private readonly deps: { config: Config; clusters: ClusterRegistry; logger: LoggerService; mutate: Mutator; observer?: AdmissionObserver },
  ) {
    const c = deps.config.getOptionalConfig('skywalking.webhook');
    this.port = c?.getOptionalNumber('port') ?? 9443;
    this.host = c?.getOptionalString('host') ?? '0.0.0.0';
    this.timeoutSeconds = c?.getOptionalNumber('timeoutSeconds') ?? 5;
    this.fromFiles = Boolean(c?.getOptionalString('certFile'));
  }

  url(): string {
    return this.deps.config.getOptionalString('skywalking.webhook.url') ?? `https://127.0.0.1:${this.port}`;
  }

  private loadCertificate(): ServingCertificate {
    const c = this.deps.config.getConfig('skywalking.webhook');
    if (this.fromFiles) {
      const certPem = fs.readFileSync(c.getString('certFile'), 'utf8');
      return {
        certPem,
        keyPem: fs.readFileSync(c.getString('keyFile'), 'utf8'),
        caPem: c.getOptionalString('caFile') ? fs.readFileSync(c.getString('caFile'), 'utf8') : certPem,
        notBefore: new Date(0),
        notAfter: new Date(8640000000000000),
      };
    }
    const host = new URL(this.url()).hostname;
    const isIp = /^[\d.]+$|:/.test(host);
    return generateServingCertificate({
      commonName: 'skywalking-backstage-webhook',
      dnsNames: ['localhost', ...(isIp ? [] : [host])],
      ipAddresses: ['127.0.0.1', ...(isIp && host !== '127.0.0.1' ? [host] : [])],
      validityMs: VALIDITY_MS,
    });
  }

  async start() {
    this.cert = this.loadCertificate();
    this.server = new WebhookServer({
      host: this.host,
      port: this.port,
      certPem: this.cert.certPem,
      keyPem: this.cert.keyPem,
      mutate: this.deps.mutate,
      logger: this.deps.logger,
      observer: this.deps.observer,
    });
    await this.server.start();
    this.deps.logger.info(`admission webhook listening on https://${this.host}:${this.port}, registered as ${this.url()}`);
  }

  /** Generated certificates rotate after two thirds of their lifetime; the clusters get the new CA. */
  async rotateIfDue() {
    if (!this.cert || this.fromFiles || !needsRotation(this.cert)) return false;
    this.cert = this.loadCertificate();
    this.server?.setCertificate(this.cert.certPem, this.cert.keyPem);
    await this.registerAll();
    this.deps.logger.info('admission webhook certificate rotated');
    return true;
  }

  /** Server-side applies the webhook configuration with the current CA to one cluster. */
  async register(cluster: string) {
    if (!this.cert) throw new Error('webhook not started');
    await ensureWebhookConfiguration(this.deps.clusters.kubeConfig(cluster), {
      url: this.url(),
      caPem: this.cert.caPem,
      timeoutSeconds: this.timeoutSeconds,
    });
  }

  async registerAll() {
    for (const name of this.deps.clusters.names()) {
      if (this.deps.clusters.definition(name).injectionMode !== 'webhook') continue;
      try {
        await this.register(name);
      } catch (e) {
        this.deps.logger.warn(`could not register the admission webhook in cluster ${name}: ${(e as Error).message}`);
      }
    }
  }

  async stop() {
    await this.server?.stop();
  }
}
