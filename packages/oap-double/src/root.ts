/*
 * The double's resolvers: one per Query field it implements
 * (IMPLEMENTED_QUERY_FIELDS), answering from the traffic source as OAP
 * answers from its storage.
 */
import { OapDuration, durationPoints } from './common';
import {
  GENERAL,
  generalServicesView,
  generalTopology,
  serviceHierarchy,
} from './general';
import { evaluateExpression } from './mqe';
import type { OapDoubleTrafficSource } from './traffic';

export function rootValue(source: OapDoubleTrafficSource, timezone: string) {
  const serviceView = (s: OapDoubleTrafficSource['services'][number]) => ({
    id: s.id,
    name: s.name,
    group: '',
    shortName: s.name,
    layers: [source.layer],
    normal: true,
  });
  const topology = (ids: Set<string> | undefined) => {
    const calls = source.relations.filter(
      r => !ids || ids.has(r.source) || ids.has(r.target),
    );
    const touched = new Set(calls.flatMap(c => [c.source, c.target]));
    const nodes = source.services.filter(
      s => (ids ? ids.has(s.id) : true) || touched.has(s.id),
    );
    return {
      nodes: nodes.map(s => ({
        id: s.id,
        name: s.name,
        type: 'http',
        isReal: true,
        layers: [source.layer],
      })),
      calls: calls.map(c => ({
        ...c,
        sourceComponents: ['http'],
        targetComponents: ['http'],
        detectPoints: ['CLIENT', 'SERVER'],
      })),
    };
  };
  const byId = new Map(source.services.map(s => [s.id, s]));
  const layerMatches = (layer?: string | null) =>
    !layer || layer === source.layer;
  const hasGeneral = source.general.services.length > 0;
  // both layers in one answer, as OAP's getServicesTopology does for ids of any layer
  const both = (ids: Set<string> | undefined) => {
    const k8s = topology(ids);
    const general = generalTopology(source.general, ids);
    return {
      nodes: [...k8s.nodes, ...general.nodes],
      calls: [...k8s.calls, ...general.calls],
    };
  };
  return {
    listLayers: () => [source.layer, ...(hasGeneral ? [GENERAL] : [])],
    listServices: ({ layer }: { layer?: string | null }) => [
      ...(layerMatches(layer) ? source.services.map(serviceView) : []),
      ...(!layer || layer === GENERAL
        ? generalServicesView(source.general)
        : []),
    ],
    listInstances: ({
      serviceId,
      duration,
    }: {
      serviceId: string;
      duration: OapDuration;
    }) => {
      durationPoints(duration);
      return (byId.get(serviceId)?.instances ?? []).map(i => ({
        id: i.id,
        name: i.name,
        instanceUUID: i.id,
        language: 'UNKNOWN',
        attributes: [],
      }));
    },
    getTimeInfo: () => ({ timezone, currentTimestamp: Date.now() }),
    getGlobalTopology: ({
      duration,
      layer,
    }: {
      duration: OapDuration;
      layer?: string | null;
    }) => {
      durationPoints(duration);
      if (!layer) return both(undefined);
      if (layer === GENERAL) return generalTopology(source.general, undefined);
      return layerMatches(layer)
        ? topology(undefined)
        : { nodes: [], calls: [] };
    },
    getServicesTopology: ({
      serviceIds,
      duration,
    }: {
      serviceIds: string[];
      duration: OapDuration;
    }) => {
      durationPoints(duration);
      return both(new Set(serviceIds));
    },
    getServiceHierarchy: (args: { serviceId: string; layer: string }) =>
      serviceHierarchy(
        source.general,
        source.services,
        source.layer,
        args.serviceId,
        args.layer,
      ),
    getServiceInstanceTopology: (args: {
      clientServiceId: string;
      serverServiceId: string;
      duration: OapDuration;
    }) => {
      durationPoints(args.duration);
      const client = byId.get(args.clientServiceId);
      const server = byId.get(args.serverServiceId);
      if (!client || !server) return { nodes: [], calls: [] };
      const ids = new Set(
        [...client.instances, ...server.instances].map(i => i.id),
      );
      const calls = source.instanceRelations.filter(
        r =>
          ids.has(r.source) &&
          ids.has(r.target) &&
          client.instances.some(i => i.id === r.source),
      );
      return {
        nodes: [...client.instances, ...server.instances].map(i => ({
          ...i,
          type: null,
          isReal: true,
        })),
        calls: calls.map(c => ({
          ...c,
          sourceComponents: [],
          targetComponents: [],
          detectPoints: ['CLIENT', 'SERVER'],
        })),
      };
    },
    execExpression: (args: {
      expression: string;
      entity: Record<string, unknown>;
      duration: OapDuration;
    }) =>
      evaluateExpression(
        source,
        args.expression,
        args.entity,
        durationPoints(args.duration),
      ),
  };
}
