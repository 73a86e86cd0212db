import { render, screen, within } from '@testing-library/react';
import App from './App';

/*
 * The whole demo app rendered in jsdom: sign-in, routes, sidebar. No backend
 * runs here, so the guest sign-in uses Backstage's legacy guest identity
 * (the fallback its sign-in page offers when the auth backend cannot be reached).
 */
function withAppConfig(extra: Record<string, unknown> = {}) {
  process.env = {
    NODE_ENV: 'test',
    APP_CONFIG: [
      {
        data: {
          app: { title: 'Test' },
          backend: { baseUrl: 'http://localhost:7007' },
          ...extra,
        },
        context: 'test',
      },
    ] as any,
  };
}

describe('App', () => {
  beforeEach(() => {
    withAppConfig();
    // a returning guest (the sign-in page remembers the provider); with the
    // backend unreachable, the legacy guest token instead of asking
    localStorage.setItem('@backstage/core:SignInPage:provider', 'guest');
    localStorage.setItem('enableLegacyGuestToken', 'true');
    jest.spyOn(console, 'warn').mockImplementation(() => {});
  });

  afterEach(() => {
    localStorage.clear();
    jest.restoreAllMocks();
  });

  it('signs the guest in and shows the sidebar with the SkyWalking page linked', async () => {
    render(<App />);

    const nav = await screen.findByRole('navigation', {}, { timeout: 15_000 });
    const link = await within(nav).findByRole('link', { name: /SkyWalking/ });
    expect(link).toHaveAttribute('href', '/skywalking');
    expect(within(nav).getByRole('link', { name: /Create/ })).toHaveAttribute('href', '/create');
  }, 30_000);
});
