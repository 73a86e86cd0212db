import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runInjectCli } from './inject-cli';

jest.setTimeout(60_000);

const BIN = resolve(__dirname, '../../bin/skywalking-inject');

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const parse = (text: string) => parseAllDocuments(text).map(d => d.toJS());

const podSpec = (name: string) => `
      containers:
        - name: ${name}   # the application
          image: example/${name}:1.0
          env:
            - name: JAVA_TOOL_OPTIONS
              value: -Xmx256m`;

const MANIFEST = `# Demo manifests for skywalking-inject
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart # the cart service
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
      annotations:
        agent.skywalking.apache.org/agent.sample_n_per_3_secs: "6"
    spec:${podSpec('cart')}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db-proxy, namespace: shop}
spec:
  serviceName: db-proxy
  selector: {matchLabels: {app: db-proxy}}
  template:
    metadata: {labels: {app: db-proxy}}
    spec:
      containers:
        - {name: proxy, image: example/proxy:1}
        - {name: istio-proxy, image: istio/proxyv2}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: shop}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:${podSpec('node-agent')}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: shop}
spec:
  selector: {matchLabels: {app: rs}}
  template:
    spec:${podSpec('rs')}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never${podSpec('migrate')}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: example/report:1
---
apiVersion: v1
kind: Pod
metadata:
  name: single
  namespace: shop
spec:
  containers:
    - name: single
      image: example/single:1
---
# a config map that must stay as it is
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data:
  application.yaml: |
    server:
      port: 8080
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{port: 80, targetPort: 8080}]
`;

const WORKLOADS: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};
const template = (obj: any) => WORKLOADS[obj.kind].reduce((o, k) => o[k], obj);

describe('bin/skywalking-inject', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'swinject-'));
    file = join(dir, 'manifest.yaml');
    writeFileSync(file, MANIFEST);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a multi-document file: every workload injected, the rest unchanged, --remove restores', () => {
    const original = parse(MANIFEST);
    const r = run(['--service-name', 'cart', '--collector', 'oap-skywalking-oap.skywalking:11800', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# Demo manifests for skywalking-inject');
    expect(r.stdout).toContain('# the cart service');
    expect(r.stdout).toContain('# a config map that must stay as it is');
    const out = parse(r.stdout);
    expect(out).toHaveLength(original.length);
    const isWorkload = (obj: any) => obj.kind in WORKLOADS;
    expect(out.filter(o => !isWorkload(o))).toEqual(original.filter(o => !isWorkload(o)));
    expect(out.filter(isWorkload)).toHaveLength(7);
    out.filter(isWorkload).forEach((obj: any) => {
      const t = template(obj);
      expect(t.spec.initContainers.map((c: any) => c.name)).toContain('inject-skywalking-agent');
      expect(t.spec.volumes).toContainEqual({ name: 'sky-agent', emptyDir: {} });
      const app = t.spec.containers[0];
      const env = Object.fromEntries(app.env.map((e: any) => [e.name, e.value]));
      expect(env.JAVA_TOOL_OPTIONS).toMatch(/-javaagent:\/sky\/agent\/skywalking-agent\.jar/);
      expect(env.SW_AGENT_NAME).toBe('cart');
      expect(env.SW_AGENT_COLLECTOR_BACKEND_SERVICES).toBe('oap-skywalking-oap.skywalking:11800');
    });
    // existing JAVA_TOOL_OPTIONS appended to; annotations of the pod template honoured
    const cart = template(out[1]).spec.containers[0].env[0];
    expect(cart.value).toBe('-Xmx256m -javaagent:/sky/agent/skywalking-agent.jar=agent.sample_n_per_3_secs=6');
    // istio-proxy untouched
    expect(template(out[2]).spec.containers[1]).toEqual({ name: 'istio-proxy', image: 'istio/proxyv2' });

    const again = run([], r.stdout);
    expect(again.code).toBe(0);
    expect(parse(again.stdout)).toEqual(out);

    const removed = run(['--remove', '-'], r.stdout);
    expect(removed.code).toBe(0);
    expect(parse(removed.stdout)).toEqual(original);
    expect(removed.stdout).toContain('# the cart service');
  });

  it('maps the options onto the SWCK annotations', () => {
    const r = run(
      [
        '--agent-image=apache/skywalking-java-agent:9.2.0-java21',
        '--container',
        'proxy',
        '--set',
        'agent.instance_name=one',
        '--set',
        'collector.backend_service=oap-a:11800,oap-b:11800',
        '--plugin',
        'plugin.mongodb.trace_param=true',
        '--optional-plugin',
        'webflux',
        '--optional-plugin',
        'cloud-gateway-2.1.x',
        '--optional-reporter-plugin',
        'kafka',
        '--bootstrap-plugin=jdk-threading',
        file,
      ],
    );
    expect(r.stderr).toMatch(/note: document 2 \(Deployment shop\/cart\): not injected: no container matches "proxy"/);
    expect(r.code).toBe(0);
    const sts = template(parse(r.stdout)[2]);
    expect(sts.spec.initContainers[0].image).toBe('apache/skywalking-java-agent:9.2.0-java21');
    expect(sts.spec.initContainers[0].args[1]).toBe(
      'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent' +
        ' && cd /sky/agent/optional-plugins/ && ls | grep -E "webflux|cloud-gateway-2.1.x"  | xargs -i cp {} /sky/agent/plugins/' +
        ' && cd /sky/agent/optional-reporter-plugins/ && ls | grep -E "kafka"  | xargs -i cp {} /sky/agent/plugins/' +
        ' && cd /sky/agent/bootstrap-plugins/ && ls | grep -E "jdk-threading"  | xargs -i cp {} /sky/agent/plugins/',
    );
    expect(sts.spec.containers[0].env).toEqual([
      {
        name: 'JAVA_TOOL_OPTIONS',
        value:
          "-javaagent:/sky/agent/skywalking-agent.jar=agent.instance_name=one,collector.backend_service='oap-a:11800,oap-b:11800',plugin.mongodb.trace_param=true",
      },
    ]);
  });

  it('only injects labelled pods with --require-label', () => {
    const input = MANIFEST.replace('labels: {app: cart}', 'labels: {app: cart, swck-java-agent-injected: "true"}');
    const out = parse(run(['--require-label'], input).stdout);
    expect(template(out[1]).spec.initContainers).toHaveLength(1);
    expect(out.filter((o: any) => o.kind in WORKLOADS && template(o).spec.initContainers)).toHaveLength(1);
  });

  it('--ca-configmap mounts the backend CA into the agent ca/ directory (TLS to the OAP)', () => {
    const r = run(['--ca-configmap', 'skywalking-ca-demo', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app}]}\n');
    expect(r.code).toBe(0);
    const pod = parse(r.stdout)[0];
    expect(pod.spec.volumes).toContainEqual({ name: 'sky-agent-ca', configMap: { name: 'skywalking-ca-demo', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'sky-agent-ca', mountPath: '/sky/agent/ca', readOnly: true });
  });

  it('reads stdin and writes nothing but the result to stdout', () => {
    const r = run(['-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app}]}\n');
    expect(r.code).toBe(0);
    expect(parse(r.stdout)[0].spec.initContainers[0].name).toBe('inject-skywalking-agent');
  });

  it.each([
    ['invalid YAML, naming the document', ['-'], 'kind: ConfigMap\n---\nkind: Pod\nspec: [\n', /document 2: invalid YAML/],
    ['a hostile --set', ['--set', 'agent.service_name=app -XX:+PrintFlagsFinal'], MANIFEST, /invalid option --set agent.service_name: must not contain whitespace/],
    ['a $(...) service name', ['--service-name', '$(rm -rf /)'], MANIFEST, /invalid option --service-name: must not contain "\$"/],
    ['a bad collector', ['--collector', 'oap:11800\n-Dx=1'], MANIFEST, /invalid option --collector: must not contain newlines/],
    ['an unknown agent option', ['--set', 'foo.bar=1'], MANIFEST, /--set foo.bar: "foo.bar" is not an agent.config option/],
    ['a bad plugin name', ['--optional-plugin', 'a;b'], MANIFEST, /--optional-plugin "a;b": not a plugin name/],
    ['a --set without =', ['--set', 'agent.x'], MANIFEST, /--set expects <key>=<value>/],
    ['an unknown option', ['--frobnicate'], MANIFEST, /unknown option --frobnicate/],
    ['a missing value', ['--collector'], MANIFEST, /--collector needs a value/],
    ['--remove with injection options', ['--remove', '--collector', 'oap:11800'], MANIFEST, /--remove cannot be combined with --collector/],
    ['two files', ['a.yaml', 'b.yaml'], '', /only one input file/],
    ['a missing file', ['/nonexistent/x.yaml'], '', /cannot read \/nonexistent\/x.yaml/],
    [
      'a hostile annotation in a document',
      ['-'],
      MANIFEST.replace('agent.sample_n_per_3_secs: "6"', 'agent.sample_n_per_3_secs: "6 -Dx=1"'),
      /document 2 \(Deployment shop\/cart\): spec\.template\.metadata\.annotations\["agent\.skywalking\.apache\.org\/agent\.sample_n_per_3_secs"\]: must not contain whitespace/,
    ],
  ])('fails with exit code 1 and nothing on stdout for %s', (_, args, input, message) => {
    const r = run(args as string[], input as string);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('prints help', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: skywalking-inject/);
  });
});

describe('runInjectCli (in process)', () => {
  const io = (input: string) => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        readStdin: async () => input,
        readFile: async () => input,
        stdout: (s: string) => out.push(s),
        stderr: (s: string) => err.push(s),
      },
    };
  };

  it('handles kind: List and keeps unknown kinds', async () => {
    const t = io(
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {containers: [{name: a}]}}}}\n- {apiVersion: example.com/v1, kind: Widget, spec: {template: {spec: {containers: [{name: a}]}}}}\n',
    );
    expect(await runInjectCli([], t.io)).toBe(0);
    const [list] = parse(t.out.join(''));
    expect(list.items[0].spec.template.spec.initContainers).toHaveLength(1);
    expect(list.items[1].spec.template.spec.initContainers).toBeUndefined();
  });

  it('passes empty documents and scalars through', async () => {
    const t = io('---\n# only a comment\n---\nhello\n');
    expect(await runInjectCli([], t.io)).toBe(0);
    expect(parse(t.out.join('')).slice(-1)).toEqual(['hello']);
  });

  it('reports a workload without a pod template', async () => {
    const t = io('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n');
    expect(await runInjectCli([], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/document 1 \(Deployment d\): spec.template: is missing/);
  });
});
