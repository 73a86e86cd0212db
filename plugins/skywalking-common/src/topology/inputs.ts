/*
 * OAP's layers as merge input: each relation and node is marked with the
 * layer that saw it, so the merge keeps the metrics of each layer apart.
 */
import type { GeneralService, GeneralTraffic } from '../oap/generalTraffic';
import type { KubernetesTraffic } from '../oap/kubernetesTraffic';
import type { TopologyTrafficInput, TrafficEndpoint } from './types';

/**
 * Turns {@link KubernetesTraffic} from OAP into merge input: services by
 * OAP name, instances as pods of the service's namespace.
 * @public
 */
export function trafficInputFromOap(
  traffic: KubernetesTraffic,
): TopologyTrafficInput {
  const layer = traffic.layer;
  return {
    window: {
      from: traffic.window.from,
      to: traffic.window.to,
      step: traffic.window.step,
    },
    nodes: [
      ...traffic.services.map(s => ({
        endpoint: { oapService: s.name },
        metrics: s.metrics,
        layer,
      })),
      ...traffic.instances.map(i => ({
        endpoint: { oapService: i.serviceName, pod: i.name },
        metrics: i.metrics,
        layer,
      })),
    ],
    relations: [
      ...traffic.relations.map(r => ({
        source: { oapService: r.sourceName },
        target: { oapService: r.targetName },
        metrics: r.metrics,
        layer,
      })),
      ...traffic.instanceRelations.map(r => ({
        source: { oapService: r.sourceServiceName, pod: r.sourceName },
        target: { oapService: r.targetServiceName, pod: r.targetName },
        metrics: r.metrics,
        layer,
      })),
    ],
  };
}

/**
 * A GENERAL service as a merge endpoint: a real one by its agent name (and
 * its K8S_SERVICE counterpart from OAP's hierarchy, when OAP has one), a
 * conjectural one as a peer (`host:port`, `User`).
 */
function generalEndpoint(
  s: GeneralService | undefined,
  name: string,
): TrafficEndpoint {
  if (!s || !s.isReal) return { peer: name };
  // one hierarchy counterpart is trusted; several would be a guess
  return s.k8sServices.length === 1
    ? { agentService: s.name, oapService: s.k8sServices[0] }
    : { agentService: s.name };
}

/**
 * Turns {@link GeneralTraffic} (the agents' layer) into merge input.
 * @public
 */
export function trafficInputFromGeneral(
  traffic: GeneralTraffic,
): TopologyTrafficInput {
  const layer = traffic.layer;
  const byId = new Map(traffic.services.map(s => [s.id, s]));
  return {
    window: {
      from: traffic.window.from,
      to: traffic.window.to,
      step: traffic.window.step,
    },
    nodes: traffic.services
      .filter(s => s.isReal)
      .map(s => ({
        endpoint: generalEndpoint(s, s.name),
        metrics: s.metrics,
        layer,
      })),
    relations: traffic.relations.map(r => ({
      source: generalEndpoint(byId.get(r.source), r.sourceName),
      target: generalEndpoint(byId.get(r.target), r.targetName),
      metrics: r.metrics,
      layer,
    })),
  };
}

/** Several layers' input as one; the window is the first one's. @public */
export function combineTrafficInputs(
  ...inputs: Array<TopologyTrafficInput | undefined>
): TopologyTrafficInput | undefined {
  const present = inputs.filter((i): i is TopologyTrafficInput => !!i);
  if (!present.length) return undefined;
  return {
    window: present[0].window,
    nodes: present.flatMap(i => i.nodes),
    relations: present.flatMap(i => i.relations),
  };
}
