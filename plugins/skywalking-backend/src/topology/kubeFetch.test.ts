import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  OapClient,
  OapResponseTooLargeError,
} from '@skywalking-backstage/plugin-skywalking-common';
import { loadK8s } from '../clusters/k8s';
import { kubeFetch } from './kubeFetch';

/*
 * kubeFetch (OAP through the API server's service proxy) hands the OAP client
 * a streamed body, so the client's size limit stops an endless answer instead
 * of kubeFetch buffering it all first. The "API server" is a local HTTP server.
 */

async function kubeConfigFor(server: string) {
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

describe('kubeFetch', () => {
  let server: http.Server;
  let base: string;
  let sent = 0;
  let closed: Promise<void>;
  let auth: string | undefined;

  beforeEach(async () => {
    sent = 0;
    let markClosed!: () => void;
    closed = new Promise(r => (markClosed = r));
    server = http.createServer((req, res) => {
      auth = req.headers.authorization;
      if (req.url?.endsWith('/small/graphql')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { listLayers: ['K8S_SERVICE'] } }));
        return;
      }
      // an endless body, written as fast as the client reads
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => markClosed());
      pump();
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  it('passes a normal answer through with the kubeconfig credentials', async () => {
    const client = new OapClient({ baseUrl: `${base}/small`, fetch: kubeFetch(await kubeConfigFor(base)) });
    await expect(client.listLayers()).resolves.toEqual(['K8S_SERVICE']);
    expect(auth).toBe('Bearer test-token');
  });

  it('lets the OAP client stop an endless answer at its size limit', async () => {
    const client = new OapClient({
      baseUrl: `${base}/endless`,
      fetch: kubeFetch(await kubeConfigFor(base)),
      maxResponseBytes: 1024 * 1024,
    });
    const err = await client.listLayers().catch(e => e);
    expect(err).toBeInstanceOf(OapResponseTooLargeError);
    expect(err.message).toMatch(/larger than the limit of 1048576 bytes/);
    // the request was aborted: the server saw the connection close soon after the limit
    await closed;
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });
});
