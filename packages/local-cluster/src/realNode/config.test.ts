import YAML from 'yaml';
import {
  KUBELET_SYSCTLS,
  clusterDnsIp,
  cniConflist,
  containerdConfig,
  coreDnsManifests,
  kubeProxyConfig,
  kubeletConfig,
  realNodeAddresses,
  realNodeNamespaceAnnotations,
} from './config';
import { diffHostState } from './hostState';
import { realNodeUnavailableReason } from './preflight';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const paths = {
  containerdSocket: '/run/containerd/containerd.sock',
  containerdConfig: '/d/containerd.toml',
  containerdRoot: '/cache/containerd',
  cniConfDir: '/d/cni',
  kubeletConfig: '/d/kubelet.yaml',
  kubeletKubeconfig: '/d/kubelet.kubeconfig',
  kubeProxyConfig: '/d/kube-proxy.yaml',
  kubeProxyKubeconfig: '/d/kube-proxy.kubeconfig',
  caFile: '/d/ca.crt',
  kubeletCert: '/d/kubelet.crt',
  kubeletKey: '/d/kubelet.key',
  registryHostsDir: '/d/registry-hosts',
};

describe('real node configuration', () => {
  it('gives each slot its own veth and pod network, and refuses slots out of range', () => {
    expect(realNodeAddresses(0)).toMatchObject({ hostIf: 'swbh0', hostIp: '10.250.0.1', nodeIp: '10.250.0.2', podCidr: '10.251.0.0/24' });
    expect(realNodeAddresses(3)).toMatchObject({ hostIf: 'swbh3', hostIp: '10.250.3.1', nodeIp: '10.250.3.2', podCidr: '10.251.3.0/24' });
    expect(() => realNodeAddresses(8)).toThrow(/out of range/);
    expect(() => realNodeAddresses(-1)).toThrow(/out of range/);
  });

  it('puts the cluster DNS on the tenth Service address', () => {
    expect(clusterDnsIp('10.0.0.0/24')).toBe('10.0.0.10');
    expect(clusterDnsIp('10.96.0.0/16')).toBe('10.96.0.10');
  });

  it('configures containerd so runc starts without CAP_SYS_RESOURCE and no registry is ever contacted', () => {
    const toml = containerdConfig(paths);
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('sandbox_image = "registry.k8s.io/pause:3.10.1"');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('config_path = "/d/registry-hosts"');
    expect(toml).toContain('address = "/run/containerd/containerd.sock"');
  });

  it('gives pods a default route through the bridge so ClusterIPs are reachable', () => {
    const c = JSON.parse(cniConflist(realNodeAddresses(1)));
    expect(c.plugins[0]).toMatchObject({ type: 'bridge', isGateway: true, ipMasq: false, hairpinMode: true });
    expect(c.plugins[0].ipam.ranges).toEqual([[{ subnet: '10.251.1.0/24', gateway: '10.251.1.1' }]]);
    expect(c.plugins[0].ipam.routes).toEqual([{ dst: '0.0.0.0/0' }]);
  });

  it('keeps the kubelet off the machine firewall and resolver, on cgroup v1, tainted so only chosen pods land', () => {
    const k = YAML.parse(kubeletConfig({ addresses: realNodeAddresses(0), paths, serviceCidr: '10.0.0.0/24', cgroupRoot: '/swb-real-node-0', podLogsDir: '/var/log/pods' }));
    expect(k).toMatchObject({
      makeIPTablesUtilChains: false,
      resolvConf: '',
      clusterDNS: ['10.0.0.10'],
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: '/swb-real-node-0',
      protectKernelDefaults: false,
      address: '10.250.0.2',
      authentication: { anonymous: { enabled: false } },
    });
    expect(k.registerWithTaints).toEqual([{ key: 'skywalking-backstage.io/real-node', value: 'true', effect: 'NoSchedule' }]);
  });

  it('sets every conntrack limit of kube-proxy to 0 so it never writes the machine-wide table size', () => {
    const p = YAML.parse(kubeProxyConfig(realNodeAddresses(0), '/d/kp.kubeconfig'));
    expect(p.conntrack).toEqual({ maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s', udpTimeout: '0s', udpStreamTimeout: '0s' });
    expect(p.iptables.localhostNodePorts).toBe(false);
    expect(p.mode).toBe('iptables');
  });

  it('binds every kernel setting the kubelet writes to the value it wants', () => {
    expect(Object.keys(KUBELET_SYSCTLS).sort()).toEqual(
      ['kernel/keys/root_maxbytes', 'kernel/keys/root_maxkeys', 'kernel/panic', 'kernel/panic_on_oops', 'vm/overcommit_memory', 'vm/panic_on_oom'],
    );
    expect(KUBELET_SYSCTLS['vm/overcommit_memory']).toBe('1');
  });

  it('runs CoreDNS with the kubernetes plugin and no forward, on the real node, at the DNS Service address', () => {
    const objs = coreDnsManifests('10.0.0.0/24') as any[];
    const cm = objs.find(o => o.kind === 'ConfigMap');
    expect(cm.data.Corefile).toMatch(/kubernetes cluster\.local/);
    expect(cm.data.Corefile).not.toMatch(/forward/);
    const svc = objs.find(o => o.kind === 'Service');
    expect(svc.spec.clusterIP).toBe('10.0.0.10');
    const dep = objs.find(o => o.kind === 'Deployment');
    expect(dep.spec.template.spec.nodeSelector).toEqual({ 'skywalking-backstage.io/node': 'real' });
    expect(dep.spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
  });

  it('places a namespace on the real node by PodNodeSelector and PodTolerationRestriction annotations', () => {
    expect(realNodeNamespaceAnnotations['scheduler.alpha.kubernetes.io/node-selector']).toBe('skywalking-backstage.io/node=real');
    expect(JSON.parse(realNodeNamespaceAnnotations['scheduler.alpha.kubernetes.io/defaultTolerations'])).toEqual([
      { key: 'skywalking-backstage.io/real-node', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });
});

describe('host state comparison', () => {
  const base = { mounts: ['/ ext4 /dev/vda rw'], links: ['lo: <LOOPBACK,UP>'], routes: ['default via 192.0.2.1 dev eth0'], sysctls: { 'net/ipv4/ip_forward': '0' }, firewall: [] };
  it('finds nothing when the machine is as it was', () => {
    expect(diffHostState(base, JSON.parse(JSON.stringify(base)))).toEqual([]);
  });
  it('names every added or removed mount, link, route, rule and changed kernel setting', () => {
    const after = {
      mounts: [...base.mounts, '/run/netns tmpfs tmpfs rw'],
      links: [],
      routes: [...base.routes, 'unreachable 10.251.0.0/16'],
      sysctls: { 'net/ipv4/ip_forward': '1' },
      firewall: ['-A KUBE-SERVICES -j ACCEPT'],
    };
    expect(diffHostState(base, after).sort()).toEqual([
      'firewall: added -A KUBE-SERVICES -j ACCEPT',
      'links: removed lo: <LOOPBACK,UP>',
      'mounts: added /run/netns tmpfs tmpfs rw',
      'routes: added unreachable 10.251.0.0/16',
      'sysctl net/ipv4/ip_forward: 0 -> 1',
    ]);
  });
  it("leaves out another real node slot's link and routes, but not its own slot's", () => {
    const after = {
      ...base,
      links: [...base.links, 'swbh1@if2: <BROADCAST,UP,LOWER_UP>', 'swbh0@if2: <BROADCAST,UP,LOWER_UP>'],
      routes: [...base.routes, 'local fe80::7403:e1ff:fe35:3181 dev swbh1 table local proto kernel metric 0 pref medium', '10.251.0.0/24 via 10.250.0.2 dev swbh0'],
    };
    expect(diffHostState(base, after, { ownSlot: 0 }).sort()).toEqual([
      'links: added swbh0@if2: <BROADCAST,UP,LOWER_UP>',
      'routes: added 10.251.0.0/24 via 10.250.0.2 dev swbh0',
    ]);
    expect(diffHostState(base, after)).toHaveLength(4);
  });
});

describe('real node preflight', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-preflight-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  it('says which capability is missing', () => {
    const status = path.join(tmp, 'status');
    // CAP_NET_ADMIN (bit 12) only: CAP_SYS_ADMIN is named as missing (or root, when not run as root)
    fs.writeFileSync(status, 'Name:\tnode\nCapEff:\t0000000000001000\n');
    const root = process.getuid?.() === 0;
    expect(realNodeUnavailableReason(tmp, status)).toMatch(root ? /needs CAP_SYS_ADMIN \(/ : /needs root/);
  });
  it('says when the cgroup memory controller is missing', () => {
    const status = path.join(tmp, 'status-all');
    fs.writeFileSync(status, 'CapEff:\t000001ffffffffff\n');
    const cg = path.join(tmp, 'cgroup');
    fs.mkdirSync(cg, { recursive: true });
    const expected = process.getuid?.() === 0 ? /cgroup v1 memory controller/ : /needs root/;
    expect(realNodeUnavailableReason(tmp, status, cg)).toMatch(expected);
  });
});
