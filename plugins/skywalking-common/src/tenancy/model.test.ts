import { decideTenancy, mappedClusters, namespaceOwnerRefs, readTenancyConfig, TenancyConfig } from './model';

const raw = {
  mappings: [
    { owners: ['group:default/team-a'], clusters: ['prod-*', 'local'], namespaces: ['team-a-*'] },
    { systems: ['system:default/shop'], clusters: ['local'], namespaces: ['shop'] },
  ],
  namespaceOwner: { clusters: ['local'] },
};

function config(): TenancyConfig {
  const { config: c, errors } = readTenancyConfig(raw);
  expect(errors).toEqual([]);
  return c!;
}

describe('readTenancyConfig', () => {
  it('normalises owner and system refs (short forms are groups, case-insensitive)', () => {
    const { config: c } = readTenancyConfig({ mappings: [{ owners: ['Team-A', 'user:default/Alice'], systems: ['shop'], clusters: ['*'], namespaces: ['*'] }] });
    expect(c!.mappings[0]).toMatchObject({ owners: ['group:default/team-a', 'user:default/alice'], systems: ['system:default/shop'] });
  });

  it('reports every malformed field by its path', () => {
    const { errors } = readTenancyConfig({
      mappings: [{ owners: ['group:default/a'], clusters: ['(prod|dev)'], namespaces: [] }, { clusters: ['x'], namespaces: ['y'] }, 'nope'],
      namespaceOwner: 'yes',
    });
    expect(errors.map(e => e.path)).toEqual([
      'skywalking.tenancy.mappings[0].clusters[0]',
      'skywalking.tenancy.mappings[0].clusters',
      'skywalking.tenancy.mappings[0].namespaces',
      'skywalking.tenancy.mappings[1]',
      'skywalking.tenancy.mappings[2]',
      'skywalking.tenancy.namespaceOwner',
    ]);
  });

  it('leaves an absent config absent (nothing mapped)', () => {
    expect(readTenancyConfig(undefined)).toEqual({ errors: [] });
  });
});

describe('decideTenancy', () => {
  it('allows a namespace a mapping of the owner names, with the mapping as reason', () => {
    expect(decideTenancy(config(), ['user:default/alice', 'group:default/team-a'], 'prod-eu', 'team-a-orders')).toEqual({
      allowed: true,
      reason: 'namespace team-a-orders in cluster prod-eu is mapped to group:default/team-a (skywalking.tenancy.mappings[0])',
    });
  });

  it("refuses team B's namespace, kube-system and an unmapped cluster to team A, naming the namespace", () => {
    const a = ['group:default/team-a'];
    expect(decideTenancy(config(), a, 'local', 'team-b-orders')).toEqual({
      allowed: false,
      reason: 'namespace team-b-orders in cluster local is not mapped to group:default/team-a (skywalking.tenancy)',
    });
    expect(decideTenancy(config(), a, 'local', 'kube-system').allowed).toBe(false);
    expect(decideTenancy(config(), a, 'staging', 'team-a-orders').allowed).toBe(false);
  });

  it('grants a System mapping only to refs that include the System (its owners, resolved by the backend)', () => {
    expect(decideTenancy(config(), ['group:default/guests'], 'local', 'shop').allowed).toBe(false);
    expect(decideTenancy(config(), ['group:default/guests', 'system:default/shop'], 'local', 'shop').allowed).toBe(true);
  });

  it('counts the owner annotation or label of the live Namespace where namespaceOwner is on, and nowhere else', () => {
    const meta = { annotations: { 'skywalking-backstage.io/owner': 'group:default/team-c, user:default/bob' } };
    expect(decideTenancy(config(), ['group:default/team-c'], 'local', 'misc', meta)).toEqual({
      allowed: true,
      reason: 'namespace misc in cluster local names group:default/team-c in its skywalking-backstage.io/owner annotation or label',
    });
    expect(decideTenancy(config(), ['group:default/team-c'], 'prod-eu', 'misc', meta).allowed).toBe(false);
    expect(decideTenancy(config(), ['group:default/team-c'], 'local', 'misc', { labels: { 'skywalking-backstage.io/owner': 'team-c' } }).allowed).toBe(true);
    expect(decideTenancy(config(), ['group:default/team-d'], 'local', 'misc', meta).allowed).toBe(false);
  });

  it('refuses everything, naming the missing config, when skywalking.tenancy is not configured', () => {
    expect(decideTenancy(undefined, ['group:default/team-a'], 'local', 'team-a-x')).toEqual({
      allowed: false,
      reason: expect.stringMatching(/^skywalking\.tenancy is not configured/),
    });
  });
});

describe('mappedClusters and namespaceOwnerRefs', () => {
  it("lists only the configured clusters an owner's mappings (or namespace annotations) reach", () => {
    const noAnnotations = { ...config(), namespaceOwner: undefined };
    expect(mappedClusters(noAnnotations, ['group:default/team-a'], ['local', 'prod-eu', 'staging'])).toEqual(['local', 'prod-eu']);
    expect(mappedClusters(noAnnotations, ['group:default/team-z'], ['local', 'prod-eu'])).toEqual([]);
    expect(mappedClusters(config(), ['group:default/team-z'], ['local', 'prod-eu'])).toEqual(['local']);
    expect(mappedClusters(undefined, ['group:default/team-a'], ['local'])).toEqual([]);
  });

  it('reads annotation refs and label group names', () => {
    expect(namespaceOwnerRefs({ annotations: { 'skywalking-backstage.io/owner': 'team-a,user:default/bob' }, labels: { 'skywalking-backstage.io/owner': 'team-b' } })).toEqual([
      'group:default/team-a',
      'user:default/bob',
      'group:default/team-b',
    ]);
    expect(namespaceOwnerRefs(undefined)).toEqual([]);
  });
});
