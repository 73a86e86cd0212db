/**
 * Follows one container's log through the API server (GET …/pods/<pod>/log
 * ?follow=true&timestamps=true), line by line. The stream ends when the
 * container stops or the connection breaks; the follower opens it again
 * (backoff while it fails) from the last line it saw: `sinceTime` has
 * second precision, so lines up to the last kubelet timestamp seen are
 * skipped, not repeated. Stop it when the pod is gone.
 */
import * as https from 'https';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseInstantNs, splitKubeletTimestamp } from './shopLog';

export interface FollowOptions {
  kc: KubeConfig;
  namespace: string;
  pod: string;
  container: string;
  /** lines from this instant on (the stand-in's start) */
  since: Date;
  onLine: (text: string) => void;
  log: (message: string) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Cuts a byte stream into lines; the last, unfinished line waits for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string, onLine: (line: string) => void) {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) if (p.length) onLine(p.replace(/\r$/, ''));
  }
}

/** Drops lines at or before the last kubelet timestamp seen (a reopened stream repeats its last second). */
export class SeenFilter {
  last?: bigint;

  /** The container's line, or undefined when it was seen before (or carries no kubelet timestamp). */
  accept(line: string): string | undefined {
    const s = splitKubeletTimestamp(line);
    if (!s) return undefined;
    const at = parseInstantNs(s.at)!;
    if (this.last !== undefined && at <= this.last) return undefined;
    this.last = at;
    return s.text;
  }
}

export class LogFollower {
  private stopped = false;
  private req?: ReturnType<typeof https.request>;
  private timer?: NodeJS.Timeout;
  private readonly seen = new SeenFilter();
  private backoff: number;
  private failing = false;

  constructor(private readonly o: FollowOptions) {
    this.backoff = o.minBackoffMs ?? 1000;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.req?.destroy();
  }

  private sinceTime(): string {
    // second precision (metav1.Time): the repeated second is filtered by `seen`
    const at = this.seen.last !== undefined ? new Date(Number(this.seen.last / 1_000_000n)) : this.o.since;
    return new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  private async open() {
    if (this.stopped) return;
    const { kc, namespace, pod, container } = this.o;
    const opts: https.RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (e) {
      this.retry(`credentials: ${(e as Error).message}`);
      return;
    }
    if (this.stopped) return;
    const server = kc.getCurrentCluster()?.server;
    if (!server) {
      this.retry('the kubeconfig has no current cluster');
      return;
    }
    const url = new URL(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`, server);
    url.searchParams.set('container', container);
    url.searchParams.set('follow', 'true');
    url.searchParams.set('timestamps', 'true');
    url.searchParams.set('sinceTime', this.sinceTime());
    const splitter = new LineSplitter();
    const req = https.request(url, { ...opts, method: 'GET' }, res => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', c => (body += c));
        res.on('end', () => this.retry(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
        return;
      }
      if (this.failing) this.o.log(`${namespace}/${pod} ${container}: following its log again`);
      this.failing = false;
      this.backoff = this.o.minBackoffMs ?? 1000;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) =>
        splitter.push(chunk, line => {
          const text = this.seen.accept(line);
          if (text !== undefined) this.o.onLine(text);
        }),
      );
      // the container stopped or the connection closed: open again while the pod is followed
      res.on('end', () => this.again(1000));
      res.on('error', () => this.again(1000));
    });
    req.on('error', e => this.retry(e.message));
    this.req = req;
    req.end();
  }

  private again(ms: number) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), ms);
  }

  private retry(why: string) {
    if (this.stopped) return;
    if (!this.failing) this.o.log(`${this.o.namespace}/${this.o.pod} ${this.o.container}: cannot follow its log (${why}); retrying`);
    this.failing = true;
    this.again(this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs ?? 10_000);
  }
}
