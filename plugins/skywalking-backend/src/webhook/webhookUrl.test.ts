import { isLoopbackHost, unreachableWebhookUrl } from './webhookUrl';

describe('where the webhook may be registered', () => {
  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.8.9.10', 'localhost', '[::1]', 'api.localhost'].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(['10.0.0.1', 'portal.example.com', '128.0.0.1', '::2', 'localhost.example.com'].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });

  it('refuses the default 127.0.0.1 URL for a remote API server, naming the cluster and what to set', () => {
    const reason = unreachableWebhookUrl({ cluster: 'prod', webhookUrl: 'https://127.0.0.1:9443', configured: false, apiServer: 'https://10.1.2.3:6443' });
    expect(reason).toMatch(/cluster prod: its API server \(https:\/\/10\.1\.2\.3:6443\) is not on this machine/);
    expect(reason).toMatch(/the default webhook URL https:\/\/127\.0\.0\.1:9443/);
    expect(reason).toMatch(/Set skywalking\.webhook\.url .* or set skywalking\.clusters\.prod\.injectionMode: patch/);
  });

  it('refuses a configured loopback URL for a remote or unknown API server too', () => {
    expect(unreachableWebhookUrl({ cluster: 'c', webhookUrl: 'https://localhost:9443', configured: true, apiServer: 'https://k8s.example.com' })).toMatch(/the configured webhook URL/);
    expect(unreachableWebhookUrl({ cluster: 'c', webhookUrl: 'https://localhost:9443', configured: true })).toMatch(/unknown address/);
  });

  it('allows loopback for an API server on this machine, and any other URL anywhere', () => {
    expect(unreachableWebhookUrl({ cluster: 'local', webhookUrl: 'https://127.0.0.1:9443', configured: false, apiServer: 'https://127.0.0.1:6443' })).toBeUndefined();
    expect(unreachableWebhookUrl({ cluster: 'prod', webhookUrl: 'https://portal.example.com:9443', configured: true, apiServer: 'https://10.1.2.3:6443' })).toBeUndefined();
    expect(unreachableWebhookUrl({ cluster: 'prod', webhookUrl: 'not a url', configured: true, apiServer: 'https://10.1.2.3' })).toMatch(/is not a URL/);
  });
});
