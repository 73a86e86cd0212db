import { startRoverStandIn } from './standIn';

describe('startRoverStandIn', () => {
  it('refuses bad options before it contacts anything, naming the option', async () => {
    const base = { kubeconfigPath: '/nonexistent', oapAddress: '127.0.0.1:11800', namespace: 'shop' };
    await expect(startRoverStandIn({ ...base, oapAddress: '127.0.0.1' })).rejects.toThrow(/oapAddress "127.0.0.1" is not host:port/);
    await expect(startRoverStandIn({ ...base, oapAddress: 'oap:99999' })).rejects.toThrow(/is not host:port/);
    await expect(startRoverStandIn({ ...base, namespace: 'Shop!' })).rejects.toThrow(/namespace "Shop!"/);
    await expect(startRoverStandIn({ ...base, cluster: 'a::b' })).rejects.toThrow(/cluster "a::b"/);
    await expect(startRoverStandIn({ oapAddress: base.oapAddress, namespace: 'shop' })).rejects.toThrow(/kubeconfigPath/);
    await expect(startRoverStandIn({ ...base, oapService: 'sw/demo-oap' })).rejects.toThrow(/exactly one of oapAddress/);
    await expect(startRoverStandIn({ ...base, oapAddress: undefined, oapService: 'demo-oap' })).rejects.toThrow(/oapService "demo-oap" is not <namespace>\/<service name>/);
  });
});
