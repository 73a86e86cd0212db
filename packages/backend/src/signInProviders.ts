/*
 * The sign-in providers the demo backend installs, chosen by config: the
 * guest provider's module reads `auth.providers.guest` when it starts, so
 * it is added only where that block exists (app-config.yaml for the demo;
 * app-config.production.yaml removes it and configures GitHub instead).
 */
import {
  coreServices,
  createBackendFeatureLoader,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import githubProvider from '@backstage/plugin-auth-backend-module-github-provider';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';

// imported, not installed: only the configured ones are added to the backend
const modules = { guest: guestProvider, github: githubProvider };

export type SignInProviderId = keyof typeof modules;

/** The providers of `auth.providers` this backend has a module for. */
export function configuredSignInProviders(config: Config): SignInProviderId[] {
  const providers = config.getOptionalConfig('auth.providers');
  return (Object.keys(modules) as SignInProviderId[]).filter(id =>
    providers?.has(id),
  );
}

export const signInProviders = createBackendFeatureLoader({
  deps: { config: coreServices.rootConfig },
  *loader({ config }) {
    for (const id of configuredSignInProviders(config)) yield modules[id];
  },
});
