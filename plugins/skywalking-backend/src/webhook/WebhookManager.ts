import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import fs from 'node:fs';
import type { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureWebhookConfiguration } from '../tracing/admissionMutator';
import { MutatorModule } from './admissionPool';
import { CaSecretRef, loadOrCreateCa, rotateCa, WebhookCa } from './caSecret';
import { certificateInfo, generateCa, isSignedBy, issueCertificate, IssuedCertificate, needsRotation, splitPemBundle } from './certificates';
import { AdmissionObserver, WebhookServer } from './server';
import { WEBHOOK_CONFIGURATION_NAME } from './webhookConfiguration';
import { unreachableWebhookUrl } from './webhookUrl';

const DAY_MS = 24 * 3600_000;
/** One Kubernetes call of the webhook's upkeep: a hung API server must not hold the start or the next run. */
const CALL_TIMEOUT_MS = 15_000;

function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface WebhookManagerDeps {
  config: Config;
  clusters: Pick<ClusterRegistry, 'names' | 'definition' | 'kubeConfig'>;
  logger: LoggerService;
  observer?: AdmissionObserver;
  /** default: the portal's own mutator */
  mutator?: MutatorModule;
  /** default WEBHOOK_CONFIGURATION_NAME; tests sharing a cluster use their own */
  configurationName?: string;
  /** lifetimes of the generated CA and serving certificates */
  validity?: { caMs: number; servingMs: number };
  /** how long after a CA rotation the serving certificate switches to the new CA; default 10 minutes */
  switchAfterMs?: number;
  /** limit the registration to these namespaces (tests sharing a cluster) */
  namespaces?: string[];
  /** the clock rotation decisions read (certificates are always issued at the real time) */
  now?: () => Date;
}

export interface RegistrationState {
  ok: boolean;
  at: Date;
  error?: string;
}

/**
 * Runs the admission webhook: the serving certificate, the HTTPS server and
 * the MutatingWebhookConfiguration in every cluster in webhook mode.
 *
 * Replicas share one CA kept in a Secret (caSecret.ts). maintain(), run
 * every few minutes on each replica, follows the order that keeps every
 * replica trusted through a rotation: first the CA (rotated when two thirds
 * of its life have passed, by whichever replica gets there first), then the
 * caBundle (new and old CA) in every cluster, only then this replica's
 * serving certificate from the new CA. Re-registering each time also brings
 * back a deleted or altered configuration.
 */
export class WebhookManager {
  private ca?: WebhookCa;
  private serving?: IssuedCertificate;
  /** serving from a CA that was never registered (the shared one was unreadable at start) */
  private temporaryServing = false;
  private server?: WebhookServer;
  private readonly fromFiles: boolean;
  private readonly registrations = new Map<string, RegistrationState>();
  readonly port: number;
  readonly host: string;
  readonly timeoutSeconds: number;
  readonly caSecret?: { cluster: string } & CaSecretRef;

  constructor(private readonly deps: WebhookManagerDeps) {
    const c = deps.config.getOptionalConfig('skywalking.webhook');
    this.port = c?.getOptionalNumber('port') ?? 9443;
    // loopback unless configured: only an API server on this machine can call it then
    this.host = c?.getOptionalString('host') ?? '127.0.0.1';
    this.timeoutSeconds = c?.getOptionalNumber('timeoutSeconds') ?? 5;
    this.fromFiles = Boolean(c?.getOptionalString('certFile'));
    const home = c?.getOptionalString('caSecret.cluster') ?? this.webhookClusters()[0];
    if (!this.fromFiles && home) {
      this.caSecret = {
        cluster: home,
        namespace: c?.getOptionalString('caSecret.namespace') ?? 'skywalking-system',
        name: c?.getOptionalString('caSecret.name') ?? 'skywalking-backstage-webhook-ca',
      };
    }
  }

  private get now() {
    return this.deps.now?.() ?? new Date();
  }

  private get validity() {
    return this.deps.validity ?? { caMs: 365 * DAY_MS, servingMs: 30 * DAY_MS };
  }

  private webhookClusters(): string[] {
    return this.deps.clusters.names().filter(n => this.deps.clusters.definition(n).injectionMode === 'webhook');
  }

  private get urlConfigured(): boolean {
    return this.deps.config.getOptionalString('skywalking.webhook.url') !== undefined;
  }

  url(): string {
    return this.deps.config.getOptionalString('skywalking.webhook.url') ?? `https://127.0.0.1:${this.port}`;
  }

  private generateCa = () => generateCa({ commonName: 'skywalking-backstage-webhook CA', validityMs: this.validity.caMs });

  private issueServing(ca: { certPem: string; keyPem: string }): IssuedCertificate {
    const host = new URL(this.url()).hostname.replace(/^\[|\]$/g, '');
    const isIp = /^[\d.]+$|:/.test(host);
    return issueCertificate({
      ca,
      commonName: 'skywalking-backstage-webhook',
      dnsNames: ['localhost', ...(isIp ? [] : [host])],
      ipAddresses: ['127.0.0.1', ...(isIp && host !== '127.0.0.1' ? [host] : [])],
      validityMs: this.validity.servingMs,
    });
  }

  private readFiles(): { serving: IssuedCertificate; bundlePem: string } {
    const c = this.deps.config.getConfig('skywalking.webhook');
    const certPem = fs.readFileSync(c.getString('certFile'), 'utf8');
    const info = certificateInfo(certPem);
    return {
      serving: { certPem, keyPem: fs.readFileSync(c.getString('keyFile'), 'utf8'), notBefore: info.notBefore, notAfter: info.notAfter },
      bundlePem: c.getOptionalString('caFile') ? fs.readFileSync(c.getString('caFile'), 'utf8') : certPem,
    };
  }

  /** The CA bundle registered in the clusters: the shared CA first, then older CAs still valid. */
  caBundle(): string | undefined {
    if (this.fromFiles) return this.readFiles().bundlePem;
    if (!this.ca) return undefined;
    const now = this.now.getTime();
    return splitPemBundle(this.ca.bundlePem)
      .filter(pem => certificateInfo(pem).notAfter.getTime() > now)
      .join('');
  }

  /** The serving certificate this replica presents. */
  servingCertificate(): string | undefined {
    return this.serving?.certPem;
  }

  async start() {
    const c = this.deps.config.getOptionalConfig('skywalking.webhook');
    if (this.fromFiles) {
      this.serving = this.readFiles().serving;
    } else {
      await this.syncCa().catch(e => {
        // the CA's cluster is unreachable: serve with a CA of our own, registered nowhere, until maintain() reads the shared one
        this.deps.logger.warn(`webhook CA Secret not readable yet, serving with a temporary certificate: ${(e as Error).message}`);
      });
      this.temporaryServing = !this.ca;
      this.serving = this.issueServing(this.ca ?? this.generateCa());
    }
    const clientCaFile = c?.getOptionalString('clientCaFile');
    const deadline = c?.getOptionalNumber('deadlineMs') ?? Math.max(200, Math.min(2000, this.timeoutSeconds * 1000 - 1000));
    this.server = new WebhookServer({
      host: this.host,
      port: this.port,
      certPem: this.serving.certPem,
      keyPem: this.serving.keyPem,
      mutator: this.deps.mutator,
      workers: c?.getOptionalNumber('workers'),
      deadlineMs: deadline,
      clientCaPem: clientCaFile ? fs.readFileSync(clientCaFile, 'utf8') : undefined,
      logger: this.deps.logger,
      observer: this.deps.observer,
    });
    const port = await this.server.start();
    this.deps.logger.info(
      `admission webhook listening on https://${this.host}:${port}${clientCaFile ? ' (client certificates required)' : ''}, registered as ${this.url()}`,
    );
    return port;
  }

  /** Reads (or creates) the shared CA, rotating it when due. */
  private async syncCa(): Promise<WebhookCa> {
    if (!this.caSecret) {
      // no cluster to keep it in (nor to register in): a CA of this process
      if (!this.ca || needsRotation(this.ca, this.now)) {
        const ca = this.generateCa();
        this.ca = { ...ca, bundlePem: ca.certPem };
      }
      return this.ca;
    }
    const kc = this.deps.clusters.kubeConfig(this.caSecret.cluster);
    const where = `the webhook CA Secret ${this.caSecret.namespace}/${this.caSecret.name} in cluster ${this.caSecret.cluster}`;
    let ca = await withTimeout(where, loadOrCreateCa(kc, this.caSecret, this.generateCa));
    if (needsRotation(ca, this.now)) {
      ca = await withTimeout(where, rotateCa(kc, this.caSecret, ca, this.generateCa, new Date()));
      this.deps.logger.info(`webhook CA rotated in Secret ${this.caSecret.namespace}/${this.caSecret.name}; the old CA stays in the caBundle until it expires`);
    }
    this.ca = ca;
    return ca;
  }

  /**
   * CA, then registrations, then the serving certificate: run periodically.
   * Returns whether the serving certificate changed.
   */
  async maintain(): Promise<boolean> {
    if (this.fromFiles) {
      // the files may have been renewed in place (cert-manager, a mounted Secret): serve what they hold now
      const { serving } = this.readFiles();
      const changed = serving.certPem !== this.serving?.certPem;
      if (changed) {
        this.serving = serving;
        this.server?.setCertificate(serving.certPem, serving.keyPem);
      }
      await this.registerAll();
      return changed;
    }
    let ca: WebhookCa;
    try {
      ca = await this.syncCa();
    } catch (e) {
      // the CA's cluster is unreachable: keep the other clusters registered with the CA we have
      this.deps.logger.warn(`could not read the webhook CA Secret: ${(e as Error).message}`);
      if (!this.ca) return false;
      await this.registerAll();
      return false;
    }
    await this.registerAll();
    const s = this.serving;
    const fromCurrentCa = s && isSignedBy(s.certPem, ca.certPem);
    if (fromCurrentCa && !needsRotation(s, this.now)) return false;
    if (s && !fromCurrentCa && !this.temporaryServing) {
      // a new CA: switch once every replica has had a few maintain() runs to register the new bundle
      // (one that read the Secret just before the rotation may still register the old one once)
      // real time: this waits for other replicas and API servers, not for the rotation clock
      const caAge = Date.now() - (ca.notBefore.getTime() + 60_000);
      if (caAge < (this.deps.switchAfterMs ?? 10 * 60_000)) return false;
    }
    this.temporaryServing = false;
    this.serving = this.issueServing(ca);
    this.server?.setCertificate(this.serving.certPem, this.serving.keyPem);
    this.deps.logger.info('admission webhook serving certificate renewed from the shared CA');
    return true;
  }

  /** Server-side applies the webhook configuration with the CA bundle to one cluster. */
  async register(cluster: string) {
    const kc = this.deps.clusters.kubeConfig(cluster);
    const refusal = unreachableWebhookUrl({ cluster, webhookUrl: this.url(), configured: this.urlConfigured, apiServer: kc.getCurrentCluster()?.server });
    if (refusal) throw new Error(refusal);
    const bundle = this.caBundle();
    if (!bundle) throw new Error('the webhook CA is not loaded yet');
    await withTimeout(
      `cluster ${cluster}`,
      ensureWebhookConfiguration(kc, {
        url: this.url(),
        caPem: bundle,
        timeoutSeconds: this.timeoutSeconds,
        name: this.deps.configurationName ?? WEBHOOK_CONFIGURATION_NAME,
        namespaces: this.deps.namespaces,
      }),
    );
  }

  async registerAll() {
    if (!this.fromFiles && !this.ca) return;
    for (const name of this.webhookClusters()) {
      try {
        await this.register(name);
        this.registrations.set(name, { ok: true, at: this.now });
      } catch (e) {
        const error = (e as Error).message;
        const before = this.registrations.get(name);
        this.registrations.set(name, { ok: false, at: this.now, error });
        // said once per change, not every few minutes
        if (before?.error !== error) this.deps.logger.error(`could not register the admission webhook in cluster ${name}: ${error}`);
      }
    }
  }

  /** The last registration attempt per cluster. */
  registrationState(): Record<string, RegistrationState> {
    return Object.fromEntries(this.registrations);
  }

  async stop() {
    await this.server?.stop();
  }
}
