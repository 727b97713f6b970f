/** The sign-in page: username and password, then back to where the visitor came from (`?next=`). */
import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { ApiError } from '../api.js';
import { useSession } from '../app/session.js';

/** Only our own paths: `?next=https://evil.example` must not send anyone away. */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const session = useSession();
  const [, navigate] = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(username.trim(), password);
      navigate(nextPath());
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The server cannot be reached.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page signin-page">
      <form class="dialog-body signin-form" onSubmit={submit} aria-labelledby="signin-heading">
        <h1 id="signin-heading">Sign in</h1>
        <label class="field">
          Username
          <input type="text" name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label class="field">
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && <p class="error-banner" role="alert">{error}</p>}
        <div class="dialog-actions">
          <button type="submit" class="button primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        </div>
      </form>
    </section>
  );
}
