/*
 * fast-check arbitraries for property tests of the admission webhook:
 * AdmissionReviews (well-formed, with any field replaced by anything, and
 * garbage) around pods with hostile container names and injector
 * annotations. The pod part is a copy of skywalking-common's
 * src/inject/__testUtils__/injectionArbitraries.ts (one package's src
 * cannot be imported from another); keep the two in step.
 */
import fc from 'fast-check';
import {
  AGENT_ANNOTATION_PREFIX,
  AGENT_CONFIG_SECTIONS,
  AGENT_OVERLAY_ANNOTATION,
  BOOTSTRAP_PLUGINS_ANNOTATION,
  INJECT_CONTAINER_ANNOTATION,
  OPTIONAL_PLUGINS_ANNOTATION,
  OPTIONAL_REPORTER_PLUGINS_ANNOTATION,
  PLUGINS_ANNOTATION_PREFIX,
  SIDECAR_ANNOTATION_PREFIX,
  SIDECAR_KEYS,
  STRATEGY_ANNOTATION_PREFIX,
} from '@skywalking-backstage/plugin-skywalking-common';

/** Strings that have hurt injectors: expansion, JVM options, shell, control characters, catastrophic backtracking. */
const HOSTILE_FRAGMENTS = ['$(id)', ' -Dx=y', '\n', '\u2028', '"', "'", '`id`', ';', '&&', '|', '\\', '..', '/', '*', '=', ',', '%00', 'a'.repeat(64)];

/** Repetitions that make backtracking engines explode, with a character that forces a mismatch at the end. */
export const repetitive = fc
  .tuple(fc.constantFrom('a', 'x', '-', '0', '/'), fc.integer({ min: 1, max: 2000 }), fc.constantFrom('', '!', 'b', '$', ' '))
  .map(([c, n, end]) => `${c.repeat(n)}${end}`);

export const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  repetitive,
  fc.array(fc.constantFrom(...HOSTILE_FRAGMENTS), { maxLength: 12 }).map(parts => parts.join('')),
  fc.string({ minLength: 500, maxLength: 1100 }),
);

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);

/** Container names: valid, the longest valid, and ones no API server would accept (mutation runs before validation). */
export const containerName = fc.oneof(
  { weight: 3, arbitrary: dnsLabel },
  { weight: 1, arbitrary: fc.constantFrom('istio-proxy', 'app', 'worker', 'a'.repeat(63), `${'a'.repeat(62)}b`) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.string({ minLength: 10_000, maxLength: 12_000 }) },
);

const MATCHER_TOKENS = ['a', 'a*', 'a+', '(a|aa)*', '(a*)*', '.*', '^', '$', '[a-z]', '[^a]', '+', '?', '*', '(', ')', '|', '\\1', '\\d', '{9}', '{64}', '{1,3}', '(?=', '(?:', 'b', '-', '\\', '['];

/** inject.Container values: built from regex tokens (often invalid, often nested quantifiers), or anything. */
export const containerMatcher = fc.oneof(
  fc.array(fc.constantFrom(...MATCHER_TOKENS), { maxLength: 40 }).map(t => t.join('')),
  fc.constantFrom('^a*a*a*a*a*a*a*a*a*b$', '(x+x+)+y', '((((a*)*)*)*)*$', '(a|a)*b', `${'(x+x+)+y|'.repeat(28)}z`),
  hostileString,
);

const agentKey = fc.oneof(
  fc.tuple(fc.constantFrom(...AGENT_CONFIG_SECTIONS), fc.stringMatching(/^[a-z_]{1,20}$/)).map(([s, k]) => `${s}.${k}`),
  fc.constantFrom('agent.service_name', 'collector.backend_service'),
  hostileString,
);

/** Keys of the injector's vocabulary (known and unknown under its prefixes), and unrelated ones. */
export const annotationKey = fc.oneof(
  fc.constantFrom(...SIDECAR_KEYS).map(k => `${SIDECAR_ANNOTATION_PREFIX}${k}`),
  agentKey.map(k => `${AGENT_ANNOTATION_PREFIX}${k}`),
  fc.stringMatching(/^plugin\.[a-z_.]{1,30}$/).map(k => `${PLUGINS_ANNOTATION_PREFIX}${k}`),
  fc.constantFrom(OPTIONAL_PLUGINS_ANNOTATION, OPTIONAL_REPORTER_PLUGINS_ANNOTATION, BOOTSTRAP_PLUGINS_ANNOTATION, AGENT_OVERLAY_ANNOTATION),
  hostileString.map(k => `${STRATEGY_ANNOTATION_PREFIX}${k}`),
  hostileString.map(k => `${SIDECAR_ANNOTATION_PREFIX}${k}`),
  fc.string({ maxLength: 30 }),
);

export const injectionAnnotations = fc
  .tuple(fc.dictionary(annotationKey, hostileString, { maxKeys: 12 }), fc.option(containerMatcher, { nil: undefined }))
  .map(([annotations, matcher]) => (matcher === undefined ? annotations : { ...annotations, [INJECT_CONTAINER_ANNOTATION]: matcher }));

const container = fc.record(
  {
    name: containerName,
    image: fc.oneof(fc.constant('eclipse-temurin:21-jre'), hostileString),
    env: fc.array(fc.record({ name: fc.oneof(fc.constant('JAVA_TOOL_OPTIONS'), hostileString), value: hostileString }), { maxLength: 3 }),
  },
  { requiredKeys: ['name', 'image'] },
);

/** Pods shaped as the API server sends them, with hostile names and annotations. */
export const pod = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Pod'),
  metadata: fc.record(
    {
      name: fc.oneof(dnsLabel, hostileString),
      labels: fc.oneof(fc.constant({ 'swck-java-agent-injected': 'true' }), fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })),
      annotations: injectionAnnotations,
    },
    { requiredKeys: ['labels'] },
  ),
  spec: fc.record(
    {
      containers: fc.array(container, { minLength: 1, maxLength: 5 }),
      initContainers: fc.array(container, { maxLength: 2 }),
      volumes: fc.array(fc.record({ name: fc.oneof(dnsLabel, fc.constant('sky-agent')), emptyDir: fc.constant({}) }), { maxLength: 2 }),
    },
    { requiredKeys: ['containers'] },
  ),
});

const uid = fc.uuid();

/** AdmissionReview bodies: well-formed pod reviews, reviews with any field replaced by anything, and garbage. */
export const admissionReviewBody = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(uid, pod).map(([u, p]) => JSON.stringify(review(u, p))) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(uid, pod, fc.constantFrom('kind', 'operation', 'object', 'namespace', 'uid', 'spec', 'metadata', 'containers'), fc.anything())
      .map(([u, p, field, value]) => {
        const r: any = review(u, p);
        if (field === 'spec' || field === 'metadata') r.request.object[field] = value;
        else if (field === 'containers') r.request.object.spec.containers = value;
        else r.request[field] = value;
        return JSON.stringify(r);
      }),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

function review(u: string, p: unknown) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: u, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'shop', operation: 'CREATE', object: p },
  };
}
