/*
 * The double's GENERAL layer: services as language agents report them
 * (named by SW_AGENT_NAME), the conjectural peers they call (`host:port`)
 * and OAP's `User`, their calls, and OAP's layer hierarchy GENERAL ->
 * K8S_SERVICE by OAP 10.1.0's rule for that pair, `lower-short-name-remove-ns`
 * (hierarchy-definition.yml): the agent's short name is the K8S_SERVICE
 * name without its `.namespace`.
 */
import type { DoubleRelation, DoubleService } from './traffic';

export const GENERAL = 'GENERAL';

/** Scenario part: agents and their calls. */
export interface GeneralScenario {
  /** Agent service names (SW_AGENT_NAME), e.g. `shop-frontend`. */
  services: string[];
  /**
   * `from` and `to`: an agent service, `User` (calls from outside), or any
   * other name as a conjectural peer the agent calls (`shop-payments:80`).
   */
  calls: Array<{ from: string; to: string }>;
}

export interface GeneralService {
  id: string;
  name: string;
  /** False for a conjectural node (a peer, OAP's `User`). */
  isReal: boolean;
}

export interface GeneralLayer {
  services: GeneralService[];
  relations: Array<DoubleRelation & { detectPoints: string[] }>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
/** OAP's IDManager.ServiceID: `base64(name).1` for normal, `.0` for conjectural services. */
const serviceId = (name: string, normal: boolean) =>
  `${b64(name)}.${normal ? 1 : 0}`;

export function buildGeneralLayer(scenario?: GeneralScenario): GeneralLayer {
  const services = new Map<string, GeneralService>();
  for (const name of scenario?.services ?? []) {
    if (!name || name.includes(' '))
      throw new Error(
        `OAP test double scenario: invalid agent service name "${name}"`,
      );
    services.set(name, { id: serviceId(name, true), name, isReal: true });
  }
  const node = (name: string) => {
    const known = services.get(name);
    if (known) return known;
    const peer = { id: serviceId(name, false), name, isReal: false };
    services.set(name, peer);
    return peer;
  };
  const relations: GeneralLayer['relations'] = [];
  const seen = new Set<string>();
  for (const c of scenario?.calls ?? []) {
    const from = node(c.from);
    const to = node(c.to);
    if (!from.isReal && !to.isReal)
      throw new Error(
        `OAP test double scenario: call ${c.from} -> ${c.to} has no agent on either side`,
      );
    const id = `${from.id}-${to.id}`;
    if (from.id === to.id || seen.has(id)) continue;
    seen.add(id);
    // an agent on the callee reports SERVER, on the caller CLIENT
    const detectPoints = [
      ...(from.isReal ? ['CLIENT'] : []),
      ...(to.isReal ? ['SERVER'] : []),
    ];
    relations.push({ id, source: from.id, target: to.id, detectPoints });
  }
  return { services: [...services.values()], relations };
}

const shortName = (name: string) => {
  const i = name.indexOf('::');
  return i >= 0 ? name.slice(i + 2) : name;
};

const groupOf = (name: string) => {
  const i = name.indexOf('::');
  return i >= 0 ? name.slice(0, i) : '';
};

/** `getServiceHierarchy(serviceId, layer)` of OAP, for GENERAL and K8S_SERVICE services. */
export function serviceHierarchy(
  general: GeneralLayer,
  k8s: DoubleService[],
  k8sLayer: string,
  id: string,
  layer: string,
) {
  const view = (s: { id: string; name: string }, l: string) => ({
    id: s.id,
    name: s.name,
    layer: l,
    normal: true,
  });
  const k8sShort = (s: DoubleService) => {
    const name = shortName(s.name);
    const dot = name.lastIndexOf('.');
    return dot > 0 ? name.slice(0, dot) : undefined;
  };
  const pairs: Array<[GeneralService, DoubleService]> = [];
  for (const g of general.services.filter(s => s.isReal)) {
    for (const s of k8s)
      if (k8sShort(s) === shortName(g.name)) pairs.push([g, s]);
  }
  const mine = pairs.filter(([g, s]) =>
    layer === GENERAL ? g.id === id : layer === k8sLayer && s.id === id,
  );
  return {
    relations: mine.map(([g, s]) => ({
      upperService: view(g, GENERAL),
      lowerService: view(s, k8sLayer),
    })),
  };
}

/** The GENERAL part of `getGlobalTopology` / `getServicesTopology`. */
export function generalTopology(
  general: GeneralLayer,
  ids: Set<string> | undefined,
) {
  const calls = general.relations.filter(
    r => !ids || ids.has(r.source) || ids.has(r.target),
  );
  const touched = new Set(calls.flatMap(c => [c.source, c.target]));
  const nodes = general.services.filter(
    s => (ids ? ids.has(s.id) : true) || touched.has(s.id),
  );
  return {
    nodes: nodes.map(s => ({
      id: s.id,
      name: s.name,
      type: s.isReal ? 'jdk-http' : null,
      isReal: s.isReal,
      layers: s.isReal ? [GENERAL] : [],
    })),
    calls: calls.map(c => ({
      id: c.id,
      source: c.source,
      target: c.target,
      sourceComponents: ['jdk-httpclient'],
      targetComponents: ['jdk-http'],
      detectPoints: c.detectPoints,
    })),
  };
}

/** `listServices` view of the GENERAL services (agents only, as OAP lists them per layer). */
export function generalServicesView(general: GeneralLayer) {
  return general.services
    .filter(s => s.isReal)
    .map(s => ({
      id: s.id,
      name: s.name,
      group: groupOf(s.name),
      shortName: shortName(s.name),
      layers: [GENERAL],
      normal: true,
    }));
}
