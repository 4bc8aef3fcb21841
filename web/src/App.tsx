/** The shell: top navigation, side navigation per role (from routes.tsx), flash messages, the data layer's cache, and the lazily loaded pages. */
import AppLayout from '@cloudscape-design/components/app-layout';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import SideNavigation, { type SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { QueryClientProvider } from '@tanstack/react-query';
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { clearToken, homeOf, me as currentMe, signOut, type Me } from './auth.ts';
import { ApiError } from './api/client.ts';
import { queryClient } from './api/query.ts';
import { fill, followLink, href, navigate, useLocation } from './router.tsx';
import { isTenantRoute, resolve, ROUTES } from './routes.tsx';
import { ShellContext } from './shell/context.ts';
import { ErrorPage } from './shell/errors.tsx';

/** The side navigation: the routes with `nav` that this person may see, a tenant's in its group. */
function navItems(m: Me | null, tenant: string | undefined): SideNavigationProps.Item[] {
  const shown = ROUTES.filter((r) => r.nav);
  const items: SideNavigationProps.Item[] = shown
    .filter((r) => !isTenantRoute(r) && (r.nav!.show?.(m, '') ?? true))
    .map((r) => ({ type: 'link', text: r.nav!.text, href: href(r.path) }));
  const t = tenant ?? m?.tenantId ?? undefined;
  if (t) {
    const links: SideNavigationProps.Link[] = shown
      .filter((r) => isTenantRoute(r) && (r.nav!.show?.(m, t) ?? true))
      .map((r) => ({ type: 'link', text: r.nav!.text, href: href(fill(r.path, { tenantId: t })) }));
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

  const found = resolve(path);
  const page = found && { ...found, public: found.route.public ?? false, tenant: found.params.tenantId };
  const needsSignIn = page !== null && !page.public;
  const here = `${path}${search.size ? `?${search}` : ''}`;

  // 401 from any call, or no token on a page that needs one: to sign-in, then back here.
  useEffect(() => {
    const on = () => {
      clearToken();
      queryClient.clear();
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
    else if (needsSignIn && !currentMe()) navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true });
  }, [path, needsSignIn, here]);

  const shell = useMemo(() => ({ me, flash }), [me, flash]);
  const signedIn = me !== null;
  const content = !page ? (
    <ErrorPage error={new ApiError(404, null)} />
  ) : !page.public && !signedIn ? (
    <StatusIndicator type="loading">Loading</StatusIndicator>
  ) : (
    <page.route.page {...page.params} />
  );

  return (
    <QueryClientProvider client={queryClient}>
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
    </QueryClientProvider>
  );
}
