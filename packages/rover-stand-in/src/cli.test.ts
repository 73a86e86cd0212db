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
    expect(() => parseArgs(['--kubeconfig', 'k', '--oap', '--namespace', 'shop'])).toThrow('--oap needs a value');
    expect(() => parseArgs(['--port', '1'])).toThrow('unknown argument --port');
  });
});
