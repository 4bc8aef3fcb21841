/** The shell: top navigation, side navigation per role, flash messages, and the lazily loaded pages. */
import AppLayout from '@cloudscape-design/components/app-layout';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import SideNavigation, { type SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { clearToken, homeOf, isAdminOf, isLead, isSupport, me as currentMe, signOut, type Me } from './auth.ts';
import { followLink, href, match, navigate, useLocation } from './router.tsx';
import { ErrorPage, ShellContext, tenantPath } from './ui.tsx';
import { ApiError } from './api/client.ts';

const SignIn = lazy(() => import('./pages/SignIn.tsx'));
const Callback = lazy(() => import('./pages/Callback.tsx'));
const Overview = lazy(() => import('./pages/Overview.tsx'));
const Requests = lazy(() => import('./pages/Requests.tsx'));
const RequestPage = lazy(() => import('./pages/Request.tsx'));
const Grants = lazy(() => import('./pages/Grants.tsx'));
const GrantPage = lazy(() => import('./pages/Grant.tsx'));
const Sessions = lazy(() => import('./pages/Sessions.tsx'));
const Audit = lazy(() => import('./pages/Audit.tsx'));
const Settings = lazy(() => import('./pages/Settings.tsx'));
const Support = lazy(() => import('./pages/Support.tsx'));

type Page = { el: ReactNode; tenant?: string; public?: boolean };

function route(path: string): Page | null {
  let p: Record<string, string> | null;
  if (match('/sign-in', path)) return { el: <SignIn />, public: true };
  if (match('/callback', path)) return { el: <Callback />, public: true };
  if (match('/support', path)) return { el: <Support /> };
  if ((p = match('/tenants/:t', path))) return { el: <Overview tenantId={p.t!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/requests', path))) return { el: <Requests tenantId={p.t!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/requests/:id', path))) return { el: <RequestPage tenantId={p.t!} requestId={p.id!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/grants', path))) return { el: <Grants tenantId={p.t!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/grants/:id', path))) return { el: <GrantPage tenantId={p.t!} grantId={p.id!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/sessions', path))) return { el: <Sessions tenantId={p.t!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/audit', path))) return { el: <Audit tenantId={p.t!} />, tenant: p.t! };
  if ((p = match('/tenants/:t/settings', path))) return { el: <Settings tenantId={p.t!} />, tenant: p.t! };
  return null;
}

function navItems(m: Me | null, tenant: string | undefined): SideNavigationProps.Item[] {
  const items: SideNavigationProps.Item[] = [];
  if (isSupport(m)) items.push({ type: 'link', text: 'My access', href: href('/support') });
  const t = tenant ?? m?.tenantId ?? undefined;
  if (t) {
    const admin = isAdminOf(m, t);
    const lead = isLead(m);
    const links: SideNavigationProps.Link[] = [
      { type: 'link', text: 'Overview', href: href(tenantPath(t)) },
      { type: 'link', text: 'Requests', href: href(tenantPath(t, '/requests')) },
      { type: 'link', text: 'Grants', href: href(tenantPath(t, '/grants')) },
    ];
    if (admin || lead)
      links.push(
        { type: 'link', text: 'Login history', href: href(tenantPath(t, '/sessions')) },
        { type: 'link', text: 'Audit trail', href: href(tenantPath(t, '/audit')) },
      );
    links.push({ type: 'link', text: 'Settings', href: href(tenantPath(t, '/settings')) });
    items.push({ type: 'section-group', title: `Tenant ${t}`, items: links });
  }
  return items;
}

let flashId = 0;

/**
 * A flash message's text, focused when it appears: the action that caused it may have removed the
 * button that had focus (Approve once the request is decided), and a keyboard user continues from
 * the message that says what happened, at the top of the page.
 */
function FlashText({ text }: { text: string }) {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    // After the dialog that asked for it has closed and given focus back.
    const t = setTimeout(() => ref.current?.focus({ preventScroll: false }), 50);
    return () => clearTimeout(t);
  }, []);
  return (
    <span ref={ref} tabIndex={-1} className="flash-text">
      {text}
    </span>
  );
}

export function App() {
  const { path, search } = useLocation();
  const [me, setMe] = useState<Me | null>(currentMe());
  const [flashes, setFlashes] = useState<FlashbarProps.MessageDefinition[]>([]);

  const flash = useCallback((type: FlashbarProps.Type, content: string) => {
    const id = `f${++flashId}`;
    const message = <FlashText text={content} />;
    setFlashes((f) =>
      [
        {
          id,
          type,
          content: message,
          dismissible: true,
          dismissLabel: 'Dismiss message',
          onDismiss: () => setFlashes((x) => x.filter((y) => y.id !== id)),
        },
        ...f,
      ].slice(0, 3),
    );
  }, []);

  const page = route(path);
  const here = `${path}${search.size ? `?${search}` : ''}`;

  // 401 from any call, or no token on a page that needs one: to sign-in, then back here.
  useEffect(() => {
    const on = () => {
      clearToken();
      setMe(null);
      navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true });
    };
    window.addEventListener('support-access:unauthenticated', on);
    return () => window.removeEventListener('support-access:unauthenticated', on);
  }, [here]);
  useEffect(() => {
    setMe(currentMe());
  }, [path]);
  useEffect(() => {
    if (path === '/') navigate(homeOf(currentMe()), { replace: true });
    else if (page && !page.public && !currentMe()) navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true });
  }, [path, page, here]);

  const shell = useMemo(() => ({ me, flash }), [me, flash]);
  const signedIn = me !== null;
  const content = !page ? (
    <ErrorPage error={new ApiError(404, null)} />
  ) : !page.public && !signedIn ? (
    <StatusIndicator type="loading">Loading</StatusIndicator>
  ) : (
    page.el
  );

  return (
    <ShellContext.Provider value={shell}>
      <div id="top-nav" style={{ position: 'sticky', top: 0, zIndex: 1002 }}>
        <TopNavigation
          identity={{ href: href('/'), title: 'Support access', onFollow: (e) => followLink(e, '/') }}
          utilities={
            signedIn
              ? [
                  {
                    type: 'button',
                    text: `${me.name}${me.tenantId ? ` (${me.tenantId})` : ''}`,
                    iconName: 'user-profile',
                    disableUtilityCollapse: true,
                    onClick: () => navigate(homeOf(me)),
                  },
                  {
                    type: 'button',
                    text: 'Sign out',
                    disableUtilityCollapse: true,
                    onClick: () => {
                      const leaving = signOut();
                      setMe(null);
                      setFlashes([]);
                      if (!leaving) navigate('/sign-in');
                    },
                  },
                ]
              : []
          }
          i18nStrings={{
            overflowMenuTriggerText: 'More',
            overflowMenuTitleText: 'All',
            searchIconAriaLabel: 'Search',
            searchDismissIconAriaLabel: 'Close search',
          }}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        toolsHide
        navigationHide={!signedIn}
        navigation={
          <SideNavigation
            activeHref={href(path)}
            items={navItems(me, page?.tenant)}
            onFollow={(e) => !e.detail.external && followLink(e, e.detail.href.replace(/^\/app/, ''))}
          />
        }
        notifications={<Flashbar items={flashes} />}
        content={<Suspense fallback={<StatusIndicator type="loading">Loading</StatusIndicator>}>{content}</Suspense>}
        ariaLabels={{
          navigation: 'Side navigation',
          navigationClose: 'Close side navigation',
          navigationToggle: 'Open side navigation',
          notifications: 'Notifications',
          tools: 'Help panel',
          toolsClose: 'Close help panel',
          toolsToggle: 'Open help panel',
        }}
      />
    </ShellContext.Provider>
  );
}
