import YAML from 'yaml';

/**
 * Pure renderers for the real node: its addresses and every configuration
 * file the node's processes read (containerd, CNI, kubelet, kube-proxy) and
 * the cluster DNS it deploys. Everything the node programs lives inside a
 * network namespace the setup creates; these functions only say what.
 */

/** Label and taint that mark the real node; KWOK manages only nodes labelled type=kwok. */
export const REAL_NODE_LABEL = 'skywalking-backstage.io/node';
export const REAL_NODE_LABEL_VALUE = 'real';
export const REAL_NODE_TAINT = 'skywalking-backstage.io/real-node';
/** What a pod that may run on the real node tolerates. */
export const REAL_NODE_TOLERATION = { key: REAL_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' };
/** The pause image containerd uses for pod sandboxes (kubelet 1.36's default name). */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10.1';
export const COREDNS_IMAGE = 'skywalking-backstage/coredns:1.15.0';
/** Up to this many real nodes (one per local cluster) may run on one machine at once. */
export const MAX_SLOTS = 8;

/**
 * Namespace annotations (PodNodeSelector and PodTolerationRestriction
 * admission, enabled on clusters with a real node) that place every pod of
 * a namespace on the real node without changing its manifests.
 */
export const realNodeNamespaceAnnotations: Record<string, string> = {
  'scheduler.alpha.kubernetes.io/node-selector': `${REAL_NODE_LABEL}=${REAL_NODE_LABEL_VALUE}`,
  'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([REAL_NODE_TOLERATION]),
};

export interface RealNodeAddresses {
  slot: number;
  nodeName: string;
  /** veth names: host side, node side (inside the namespace) */
  hostIf: string;
  nodeIf: string;
  /** host side of the veth pair: kube-apiserver is reached here by the node and its pods */
  hostIp: string;
  /** the node's InternalIP (node side of the veth pair) */
  nodeIp: string;
  prefix: number;
  /** pod network of this node, on its bridge inside the namespace */
  podCidr: string;
  podGateway: string;
  /** the bridge inside the namespace */
  bridge: string;
}

/** Addresses of real node `slot`: 10.250.<slot>.0/30 for the veth pair, 10.251.<slot>.0/24 for pods. */
export function realNodeAddresses(slot: number): RealNodeAddresses {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new Error(`real node slot ${slot} out of range 0..${MAX_SLOTS - 1}`);
  return {
    slot,
    nodeName: `real-node-${slot}`,
    hostIf: `swbh${slot}`,
    nodeIf: 'eth0',
    hostIp: `10.250.${slot}.1`,
    nodeIp: `10.250.${slot}.2`,
    prefix: 30,
    podCidr: `10.251.${slot}.0/24`,
    podGateway: `10.251.${slot}.1`,
    bridge: 'cni0',
  };
}

/** All pod networks real nodes may use: the host refuses to route this range anywhere else. */
export const REAL_POD_RANGE = '10.251.0.0/16';

/** The 10th address of the Service range: the cluster DNS (as kubeadm chooses it). */
export function clusterDnsIp(serviceCidr: string): string {
  const [base] = serviceCidr.split('/');
  const parts = base.split('.').map(Number);
  parts[3] += 10;
  return parts.join('.');
}

export interface NodePaths {
  /** containerd's socket, inside the node's mount namespace */
  containerdSocket: string;
  containerdConfig: string;
  containerdRoot: string;
  cniConfDir: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  kubeProxyConfig: string;
  kubeProxyKubeconfig: string;
  caFile: string;
  kubeletCert: string;
  kubeletKey: string;
  /** containerd's registry host configuration: every registry points at a closed loopback port */
  registryHostsDir: string;
}

/**
 * containerd 1.6 CRI configuration. `restrict_oom_score_adj`: this machine's
 * bounding set lacks CAP_SYS_RESOURCE, and runc fails to raise
 * oom_score_adj without it. Registries are never contacted: images are
 * imported locally and every host resolves to a closed loopback port.
 */
export function containerdConfig(p: NodePaths): string {
  return `version = 2
root = "${p.containerdRoot}"
state = "/run/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${p.containerdSocket}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${p.cniConfDir}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${p.registryHostsDir}"
`;
}

/** `_default/hosts.toml`: any registry name resolves to a loopback port nothing listens on. */
export function registryHostsToml(): string {
  return `server = "http://127.0.0.1:9"

[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
`;
}

/** CNI bridge network for the node's pods; the default route in IPAM makes ClusterIPs reachable. */
export function cniConflist(a: RealNodeAddresses): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'swb-real-node',
      plugins: [
        {
          type: 'bridge',
          bridge: a.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: a.podCidr, gateway: a.podGateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: '/run/cni-ipam',
          },
        },
      ],
    },
    null,
    2,
  );
}

export interface KubeletOptions {
  addresses: RealNodeAddresses;
  paths: NodePaths;
  serviceCidr: string;
  /** cgroup parent of everything the kubelet starts (removed on stop) */
  cgroupRoot: string;
  podLogsDir: string;
}

/**
 * KubeletConfiguration for this machine: cgroup v1 with cgroupfs, no
 * iptables chains of its own (the firewall of the node's namespace belongs
 * to kube-proxy), DNS only from the cluster DNS (no host resolv.conf), no
 * image GC or disk eviction (images are imported, never pulled).
 */
export function kubeletConfig(o: KubeletOptions): string {
  return YAML.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: o.addresses.nodeIp,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: o.paths.caFile },
    },
    // only kube-apiserver (client certificate from the cluster CA) reaches the kubelet
    authorization: { mode: 'AlwaysAllow' },
    tlsCertFile: o.paths.kubeletCert,
    tlsPrivateKeyFile: o.paths.kubeletKey,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: o.cgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${o.paths.containerdSocket}`,
    clusterDNS: [clusterDnsIp(o.serviceCidr)],
    clusterDomain: 'cluster.local',
    resolvConf: '',
    makeIPTablesUtilChains: false,
    protectKernelDefaults: false,
    podLogsDir: o.podLogsDir,
    serializeImagePulls: false,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi' },
    nodeStatusReportFrequency: '10s',
    nodeStatusUpdateFrequency: '5s',
    syncFrequency: '10s',
    fileCheckFrequency: '10s',
    registerWithTaints: [{ key: REAL_NODE_TAINT, value: 'true', effect: 'NoSchedule' }],
    maxPods: 60,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    shutdownGracePeriod: '0s',
    localStorageCapacityIsolation: true,
  });
}

/**
 * KubeProxyConfiguration: iptables mode inside the node's network namespace.
 * Every conntrack setting is 0 so kube-proxy never writes the machine-wide
 * nf_conntrack_max; no localhost NodePorts (that would set route_localnet).
 */
export function kubeProxyConfig(a: RealNodeAddresses, kubeconfig: string): string {
  return YAML.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    mode: 'iptables',
    hostnameOverride: a.nodeName,
    bindAddress: a.nodeIp,
    clusterCIDR: a.podCidr,
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    nodePortAddresses: [`${a.nodeIp}/32`],
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: '0s',
      tcpCloseWaitTimeout: '0s',
      udpTimeout: '0s',
      udpStreamTimeout: '0s',
    },
    iptables: { masqueradeAll: false, localhostNodePorts: false, syncPeriod: '10s', minSyncPeriod: '0s' },
  });
}

/**
 * The machine-wide kernel settings the kubelet insists on. Inside the node's
 * private mount namespace small files holding these values are bind-mounted
 * over the /proc/sys entries, so the kubelet reads what it wants and the
 * machine's own values never change.
 */
export const KUBELET_SYSCTLS: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/**
 * CoreDNS as a real pod on the real node: the kubernetes plugin answers the
 * cluster domain and the reverse zones; there is no `forward`, so a name
 * outside the cluster is never looked up anywhere.
 */
export function coreDnsManifests(serviceCidr: string): Record<string, unknown>[] {
  const ns = 'kube-system';
  const labels = { 'k8s-app': 'kube-dns' };
  const corefile = `.:53 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    loop
    reload
}
`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: ns }, data: { Corefile: corefile } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            nodeSelector: { [REAL_NODE_LABEL]: REAL_NODE_LABEL_VALUE },
            tolerations: [REAL_NODE_TOLERATION],
            dnsPolicy: 'Default',
            containers: [
              {
                name: 'coredns',
                image: COREDNS_IMAGE,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                ],
                resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
                readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, failureThreshold: 5 },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: ns, labels },
      spec: {
        clusterIP: clusterDnsIp(serviceCidr),
        selector: labels,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    },
  ];
}
