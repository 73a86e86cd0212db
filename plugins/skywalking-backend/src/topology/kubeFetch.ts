/*
 * A `fetch` that speaks to the Kubernetes API server with a KubeConfig's
 * credentials (client certificates, bearer tokens, exec plugins, CA). The
 * OAP client uses it to reach OAP through the API server's service proxy
 * when the portal runs outside the cluster. Global fetch cannot take the
 * cluster's CA and client certificate, so this goes through node's https.
 * The Response resolves at the headers with the body streamed, so the OAP
 * client's size limit (and abort) applies here as on global fetch.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type * as K8s from '@kubernetes/client-node';

/** `<server>/api/v1/namespaces/<ns>/services/<name>:<port>/proxy` */
export function serviceProxyUrl(server: string, namespace: string, service: string, port: number | string): string {
  const base = server.replace(/\/+$/, '');
  return `${base}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${port}/proxy`;
}

export function kubeFetch(kc: K8s.KubeConfig): typeof fetch {
  const impl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const options: https.RequestOptions = {
      method: init.method ?? 'GET',
      headers: { ...(init.headers as Record<string, string> | undefined) },
    };
    await kc.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    const body = typeof init.body === 'string' ? init.body : undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = transport.request(url, { ...options, signal: init.signal ?? undefined }, res => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === 'string') headers.set(k, v);
          else if (Array.isArray(v)) v.forEach(x => headers.append(k, x));
        }
        const status = res.statusCode ?? 502;
        const noBody = status === 204 || status === 304;
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage ?? '',
            headers,
          }),
        );
      });
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  };
  return impl as typeof fetch;
}
