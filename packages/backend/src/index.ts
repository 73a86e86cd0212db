/*
 * The demo portal's backend: catalog, scaffolder, auth, permissions and
 * the SkyWalking plugins, on the new backend system.
 */
import { createBackend } from '@backstage/backend-defaults';
import { catalogModuleSkyWalkingBackends } from '@skywalking-backstage/plugin-skywalking-backend';
import { skywalkingDemoPermissionPolicyModule } from './permissionPolicy';
import { signInProviders } from './signInProviders';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// auth: the configured sign-in providers (guest for the demo, GitHub in
// app-config.production.yaml), see ./signInProviders.ts
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(signInProviders);

// catalog
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// scaffolder, with the SkyWalking actions
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@skywalking-backstage/plugin-scaffolder-backend-module-skywalking'),
);

// permissions: the demo policy allows everything except toggling tracing,
// which only an entity's owners may do (see ./permissionPolicy.ts)
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(skywalkingDemoPermissionPolicyModule);

// Backstage's own Kubernetes plugin reads the same cluster config as ours
backend.add(import('@backstage/plugin-kubernetes-backend'));

// SkyWalking: operator, webhook and REST API; backends as catalog Resources
backend.add(import('@skywalking-backstage/plugin-skywalking-backend'));
backend.add(catalogModuleSkyWalkingBackends);

backend.start();
