import { parseArgs } from './cli';

describe('rover-stand-in arguments', () => {
  it('reads the flags', () => {
    expect(parseArgs(['--kubeconfig', 'k', '--oap', '10.244.0.9:11800', '--namespace', 'shop', '--selector', 'app in (orders)', '--cluster', 'local'])).toEqual({
      kubeconfigPath: 'k',
      oapAddress: '10.244.0.9:11800',
      namespace: 'shop',
      selector: 'app in (orders)',
      cluster: 'local',
    });
  });

  it('names a missing or unknown flag', () => {
    expect(() => parseArgs(['--oap', 'h:1', '--namespace', 'shop'])).toThrow('--kubeconfig is required');
    expect(() => parseArgs(['--kubeconfig', 'k', '--namespace', 'shop'])).toThrow('one of --oap and --oap-service is required');
    expect(() => parseArgs(['--kubeconfig', 'k', '--namespace', 'shop', '--oap', 'h:1', '--oap-service', 'sw/oap'])).toThrow('one of --oap and --oap-service');
    expect(parseArgs(['--kubeconfig', 'k', '--namespace', 'shop', '--oap-service', 'sw/demo-oap']).oapService).toBe('sw/demo-oap');
    expect(() => parseArgs(['--kubeconfig', 'k', '--oap', '--namespace', 'shop'])).toThrow('--oap needs a value');
    expect(() => parseArgs(['--port', '1'])).toThrow('unknown argument --port');
  });
});
