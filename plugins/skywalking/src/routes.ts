import { createRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'skywalking' });
export const topologyRouteRef = createRouteRef({ id: 'skywalking-topology' });
