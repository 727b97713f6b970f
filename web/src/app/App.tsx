/**
 * The app shell: header with navigation, and the three pages. Client-side routes are the same
 * paths the server answers with index.html (src/api/web-app.ts), so any URL can be opened directly.
 */
import { Link, Route, Switch, useLocation } from 'wouter-preact';
import { LibraryPage } from '../library/LibraryPage.js';
import { UploadPage } from '../upload/UploadPage.js';
import { WatchPage } from '../watch/WatchPage.js';
import { UploadQueueProvider } from '../upload/upload-queue.js';
import { SignInPage } from '../signin/SignInPage.js';
import { WebhooksPage } from '../admin/WebhooksPage.js';
import { SessionProvider, useSession } from './session.js';

function NavLink(props: { href: string; label: string }) {
  const [location] = useLocation();
  const active = props.href === '/' ? location === '/' : location.startsWith(props.href);
  return (
    <Link href={props.href} class={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined}>
      {props.label}
    </Link>
  );
}

/** Admin pages, for admins. */
function AdminNav() {
  return useSession().user?.role === 'admin' ? <NavLink href="/admin/webhooks" label="Webhooks" /> : null;
}

/** Sign in, or who is signed in and a way out. */
function Account() {
  const session = useSession();
  const [location, navigate] = useLocation();
  if (session.user === undefined) return null;
  if (session.user === null) {
    return location === '/signin' ? null : <Link href={`/signin?next=${encodeURIComponent(location)}`} class="nav-link">Sign in</Link>;
  }
  return (
    <span class="account">
      <span>{session.user.username}</span>
      <button type="button" class="button small ghost" onClick={() => void session.signOut().then(() => navigate('/'))}>Sign out</button>
    </span>
  );
}

export function App() {
  return (
    <SessionProvider>
    <UploadQueueProvider>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <Link href="/" class="brand" aria-label="StreamForge home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><rect width="32" height="32" rx="8" fill="var(--accent)" /><path d="M12 9.5v13l11-6.5z" fill="#fff" /></svg>
          <span>StreamForge</span>
        </Link>
        <nav aria-label="Main">
          <NavLink href="/" label="Library" />
          <AdminNav />
          <Link href="/upload" class="button primary nav-upload">
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="M12 16V4m0 0-5 5m5-5 5 5M5 20h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" /></svg>
            <span>Upload</span>
          </Link>
          <Account />
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={LibraryPage} />
          <Route path="/upload" component={UploadPage} />
          <Route path="/signin" component={SignInPage} />
          <Route path="/admin/webhooks" component={WebhooksPage} />
          <Route path="/watch/:id">{(params) => <WatchPage id={params.id} />}</Route>
          <Route>
            <section class="page empty-state">
              <h1>Page not found</h1>
              <p><Link href="/">Back to the library</Link></p>
            </section>
          </Route>
        </Switch>
      </main>
    </UploadQueueProvider>
    </SessionProvider>
  );
}
