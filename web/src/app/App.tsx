/**
 * The app shell: header with navigation, and the three pages. Client-side routes are the same
 * paths the server answers with index.html (src/api/web-app.ts), so any URL can be opened directly.
 */
import { Link, Route, Switch, useLocation } from 'wouter-preact';
import { LibraryPage } from '../library/LibraryPage.js';
import { UploadPage } from '../upload/UploadPage.js';
import { WatchPage } from '../watch/WatchPage.js';
import { UploadQueueProvider } from '../upload/upload-queue.js';

function NavLink(props: { href: string; label: string }) {
  const [location] = useLocation();
  const active = props.href === '/' ? location === '/' : location.startsWith(props.href);
  return (
    <Link href={props.href} class={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined}>
      {props.label}
    </Link>
  );
}

export function App() {
  return (
    <UploadQueueProvider>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <Link href="/" class="brand" aria-label="StreamForge home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><rect width="32" height="32" rx="8" fill="var(--accent)" /><path d="M12 9.5v13l11-6.5z" fill="#fff" /></svg>
          <span>StreamForge</span>
        </Link>
        <nav aria-label="Main">
          <NavLink href="/" label="Library" />
          <Link href="/upload" class="button primary nav-upload">
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="M12 16V4m0 0-5 5m5-5 5 5M5 20h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" /></svg>
            <span>Upload</span>
          </Link>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={LibraryPage} />
          <Route path="/upload" component={UploadPage} />
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
  );
}
