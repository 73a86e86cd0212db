import path from 'node:path';
import { ConfigSources } from '@backstage/config-loader';
import { Config } from '@backstage/config';
import {
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import request from 'supertest';
import { configuredSignInProviders, signInProviders } from './signInProviders';

/*
 * Review M14: the production config has no guest sign-in. Loaded as the
 * production backend loads it (app-config.yaml, then app-config.production.yaml,
 * through Backstage's config loader), then served by the real auth plugin with
 * the modules signInProviders installs for it.
 */
const root = path.resolve(__dirname, '../../..');
const githubEnv = {
  AUTH_GITHUB_CLIENT_ID: 'test-client-id',
  AUTH_GITHUB_CLIENT_SECRET: 'test-client-secret',
};

async function load(files: string[], env: Record<string, string> = {}): Promise<Config> {
  const source = ConfigSources.default({
    rootDir: root,
    argv: files.flatMap(f => ['--config', path.join(root, f)]),
    env: {},
    substitutionFunc: async name => env[name],
  });
  const config = await ConfigSources.toConfig(source);
  config.close();
  return config;
}

const production = ['app-config.yaml', 'app-config.production.yaml'];

function keysNamed(value: unknown, name: string, at = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === name ? [`${at}${k}`] : []),
    ...keysNamed(v, name, `${at}${k}.`),
  ]);
}

describe('app-config.production.yaml', () => {
  it('enables no guest provider, only GitHub, in the production environment', async () => {
    const config = await load(production, githubEnv);
    expect(config.has('auth.providers.guest')).toBe(false);
    expect(config.getConfig('auth.providers').keys()).toEqual(['github']);
    expect(configuredSignInProviders(config)).toEqual(['github']);
    expect(config.getString('auth.environment')).toBe('production');
    expect(config.getString('auth.providers.github.production.clientId')).toBe('test-client-id');
  });

  it('has no dangerouslyAllowOutsideDevelopment anywhere, nor does the demo config it layers on', async () => {
    for (const files of [production, ['app-config.yaml']]) {
      const config = await load(files, githubEnv);
      expect(keysNamed(config.get(), 'dangerouslyAllowOutsideDevelopment')).toEqual([]);
    }
  });

  it('leaves GitHub without credentials when their variables are unset (the provider then cannot start)', async () => {
    const config = await load(production);
    expect(config.has('auth.providers.github.production.clientId')).toBe(false);
  });

  it('keeps guest sign-in for the demo (app-config.yaml alone)', async () => {
    expect(configuredSignInProviders(await load(['app-config.yaml']))).toEqual(['guest']);
  });

  it('serves no guest sign-in from the real auth plugin; GitHub sign-in starts', async () => {
    const config = await load(production, githubEnv);
    const auth = config.getConfig('auth').get<object>();
    const backend = await startTestBackend({
      features: [
        authPlugin,
        signInProviders,
        mockServices.rootConfig.factory({
          data: { app: { baseUrl: 'http://localhost:3000' }, backend: { baseUrl: 'http://localhost:7007' }, auth },
        }),
      ],
    });
    try {
      const guest = await request(backend.server).get('/api/auth/guest/refresh').set('X-Requested-With', 'XMLHttpRequest');
      expect(guest.status).toBe(404);
      const github = await request(backend.server).get('/api/auth/github/start?env=production');
      expect(github.status).toBe(302);
      expect(new URL(github.headers.location).searchParams.get('client_id')).toBe('test-client-id');
    } finally {
      await backend.stop();
    }
  });
});
