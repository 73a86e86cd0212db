/*
 * Whether a cluster's API server can reach the URL the webhook is registered
 * with. A loopback URL only works for an API server on this machine;
 * registering it into a remote cluster means pods are silently never
 * injected (failurePolicy Ignore), so it is refused with the fix named.
 */

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Undefined when the API server at `apiServer` can call `webhookUrl`, else
 * the reason and what to set instead.
 */
export function unreachableWebhookUrl(opts: { cluster: string; webhookUrl: string; configured: boolean; apiServer?: string }): string | undefined {
  const webhookHost = hostOf(opts.webhookUrl);
  if (!webhookHost) return `skywalking.webhook.url ${JSON.stringify(opts.webhookUrl)} is not a URL`;
  if (!isLoopbackHost(webhookHost)) return undefined;
  const serverHost = opts.apiServer ? hostOf(opts.apiServer) : undefined;
  if (serverHost && isLoopbackHost(serverHost)) return undefined;
  return (
    `not registering the admission webhook in cluster ${opts.cluster}: its API server (${opts.apiServer ?? 'unknown address'}) is not on this machine, ` +
    `so it cannot call ${opts.configured ? 'the configured' : 'the default'} webhook URL ${opts.webhookUrl} and pods would silently not be injected. ` +
    `Set skywalking.webhook.url to an address that API server reaches (and skywalking.webhook.host to listen on it), ` +
    `or set skywalking.clusters.${opts.cluster}.injectionMode: patch`
  );
}
