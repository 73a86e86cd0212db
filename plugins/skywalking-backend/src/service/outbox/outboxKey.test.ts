import { ConfigReader } from '@backstage/config';
import { outboxKeySecretFromConfig } from './outboxKey';

describe('skywalking.outbox.keySecret', () => {
  it('defaults to skywalking-system/skywalking-backstage-outbox-key in the first cluster', () => {
    expect(outboxKeySecretFromConfig(new ConfigReader({}), ['east', 'west'])).toEqual({ cluster: 'east', namespace: 'skywalking-system', name: 'skywalking-backstage-outbox-key' });
  });

  it('takes the configured cluster, namespace and name', () => {
    const config = new ConfigReader({ skywalking: { outbox: { keySecret: { cluster: 'west', namespace: 'portal', name: 'key' } } } });
    expect(outboxKeySecretFromConfig(config, ['east', 'west'])).toEqual({ cluster: 'west', namespace: 'portal', name: 'key' });
  });

  it('refuses a cluster that is not configured, naming the ones that are', () => {
    const config = new ConfigReader({ skywalking: { outbox: { keySecret: { cluster: 'nowhere' } } } });
    expect(() => outboxKeySecretFromConfig(config, ['east', 'west'])).toThrow('skywalking.outbox.keySecret.cluster: no cluster named nowhere (clusters: east, west)');
  });

  it('has no key Secret without clusters', () => {
    expect(outboxKeySecretFromConfig(new ConfigReader({}), [])).toBeUndefined();
  });
});
