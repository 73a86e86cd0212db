import { render, screen } from '@testing-library/react';
import App from './App';

/*
 * The demo app under app-config.production.yaml's `auth.environment:
 * production`: its sign-in page offers GitHub and no guest sign-in (the
 * production backend has no guest provider). Its own file: the app keeps
 * its sign-in state per module instance.
 */
describe('App in production', () => {
  beforeEach(() => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test' },
            backend: { baseUrl: 'http://localhost:7007' },
            auth: { environment: 'production' },
          },
          context: 'test',
        },
      ] as any,
    };
    // even a browser that signed in as guest before is not let in as one
    localStorage.setItem('@backstage/core:SignInPage:provider', 'guest');
    localStorage.setItem('enableLegacyGuestToken', 'true');
  });

  afterEach(() => localStorage.clear());

  it('offers GitHub, not guest, sign-in', async () => {
    render(<App />);

    expect(await screen.findByText('Sign in using GitHub', {}, { timeout: 15_000 })).toBeInTheDocument();
    expect(screen.getByText('GitHub')).toBeInTheDocument();
    expect(screen.queryByText('Guest')).not.toBeInTheDocument();
    expect(screen.queryByRole('navigation')).not.toBeInTheDocument();
  }, 30_000);
});
