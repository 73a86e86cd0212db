import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { skyWalkingApiRef, SkyWalkingClient } from './api';
import { rootRouteRef, topologyRouteRef } from './routes';
import {
  ClusterNamespacePicker,
  clusterNamespacePickerValidation,
} from './components/ClusterNamespacePicker';

export const skywalkingPlugin = createPlugin({
  id: 'skywalking',
  apis: [
    createApiFactory({
      api: skyWalkingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new SkyWalkingClient(deps),
    }),
  ],
  routes: { root: rootRouteRef, topology: topologyRouteRef },
});

/** Sidebar page: every SkyWalking backend across clusters, with lifecycle actions. */
export const SkyWalkingPage = skywalkingPlugin.provide(
  createRoutableExtension({
    name: 'SkyWalkingPage',
    component: () => import('./components/BackendsPage').then(m => m.BackendsPage),
    mountPoint: rootRouteRef,
  }),
);

/** Entity overview card: the tracing toggle and per-workload injection status. */
export const EntitySkyWalkingTracingCard = skywalkingPlugin.provide(
  createComponentExtension({
    name: 'EntitySkyWalkingTracingCard',
    component: {
      lazy: () => import('./components/TracingCard').then(m => m.TracingCard),
    },
  }),
);

/** Entity page tab: services, pods and the calls between them, with metrics. */
export const EntitySkyWalkingTopologyContent = skywalkingPlugin.provide(
  createRoutableExtension({
    name: 'EntitySkyWalkingTopologyContent',
    component: () => import('./components/Topology').then(m => m.TopologyContent),
    mountPoint: topologyRouteRef,
  }),
);

/** Scaffolder field: pick a cluster and a namespace (and optionally a backend). */
export const SkyWalkingClusterNamespacePickerFieldExtension = skywalkingPlugin.provide(
  createScaffolderFieldExtension({
    name: 'SkyWalkingClusterNamespacePicker',
    component: ClusterNamespacePicker,
    validation: clusterNamespacePickerValidation,
  }),
);
