import { Anchor, AppShell, Badge, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useLocation } from 'react-router';
import type { Permission } from '../../../src/access/permissions.ts';
import { useAuth } from '../auth/session.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';
import { LanguageSwitch, ThemeToggle } from './Controls.tsx';
import { InboxBell } from './notify/InboxBell.tsx';

/** The console's areas; an area shows only to roles holding its permission. */
export const AREAS: Array<{ to: string; label: MessageKey; permission: Permission | null }> = [
  { to: '/overview', label: 'nav.overview', permission: 'dashboard.read' },
  { to: '/customers', label: 'nav.customers', permission: 'customer.read' },
  { to: '/holds', label: 'nav.holds', permission: 'account.read' },
  { to: '/alerts', label: 'nav.alerts', permission: 'case.read' },
  { to: '/cases', label: 'nav.cases', permission: 'case.read' },
  // support console
  { to: '/disputes', label: 'nav.disputes', permission: 'case.read' },
  { to: '/feedback', label: 'nav.feedback', permission: 'case.read' },
  { to: '/ledger', label: 'nav.ledger', permission: 'ledger.read' },
  { to: '/reserve', label: 'nav.reserve', permission: 'reserve.read' },
  { to: '/decisions', label: 'nav.decisions', permission: 'ledger.read' },
  { to: '/rules', label: 'nav.rules', permission: 'rule.read' },
  { to: '/backtests', label: 'nav.backtests', permission: 'rule.read' },
  { to: '/models', label: 'nav.models', permission: 'model.read' },
  { to: '/approvals', label: 'nav.approvals', permission: 'approval.read' },
  // notify console
  { to: '/notifications', label: 'nav.notifications', permission: 'notify.read' },
  { to: '/audit', label: 'nav.audit', permission: 'audit.read' },
];

export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const { t } = useI18n();
  const auth = useAuth();
  const location = useLocation();
  const staff = auth.staff;
  const areas = AREAS.filter((a) => a.permission === null || auth.can(a.permission));

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <Anchor href="#main" className="skip-link">
        {t('app.skipToContent')}
      </Anchor>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('app.menu')} />
            <Title order={1} size="h4">
              {t('app.title')}
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <InboxBell />
            <LanguageSwitch />
            <ThemeToggle />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label={t('app.navigation')}>
        <AppShell.Section grow>
          <nav aria-label={t('app.navigation')}>
            {areas.map((a) => (
              <NavLink
                key={a.to}
                component={Link}
                to={a.to}
                label={t(a.label)}
                active={location.pathname === a.to || location.pathname.startsWith(`${a.to}/`)}
                onClick={close}
              />
            ))}
          </nav>
        </AppShell.Section>
        {staff && (
          <AppShell.Section>
            <Stack gap={6} pt="sm" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
              <Text size="sm" fw={600} data-testid="signed-in-user">
                {staff.displayName}
              </Text>
              <Group gap={6}>
                <Badge variant="light" data-testid="signed-in-role">
                  {roleLabel(t, staff.role)}
                </Badge>
                <Text size="xs" c="dimmed">
                  {staff.email}
                </Text>
              </Group>
              <Button variant="default" size="xs" onClick={() => void auth.logout()}>
                {t('auth.signOut')}
              </Button>
            </Stack>
          </AppShell.Section>
        )}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

const ROLE_KEYS: Record<string, MessageKey> = {
  support: 'role.support',
  analyst: 'role.analyst',
  compliance: 'role.compliance',
  auditor: 'role.auditor',
  operations: 'role.operations',
  admin: 'role.admin',
};

export function roleLabel(t: (k: MessageKey) => string, role: string): string {
  const key = ROLE_KEYS[role];
  return key ? t(key) : role;
}
