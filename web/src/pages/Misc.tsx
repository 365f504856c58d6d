import { Anchor, Center, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useI18n } from '../i18n/index.tsx';

export function NotFound() {
  const { t } = useI18n();
  return (
    <Center py="xl">
      <Stack align="center">
        <Title order={2}>{t('notFound.title')}</Title>
        <Text c="dimmed">{t('notFound.description')}</Text>
        <Anchor component={Link} to="/overview">
          {t('notFound.home')}
        </Anchor>
      </Stack>
    </Center>
  );
}

export function Forbidden() {
  const { t } = useI18n();
  return (
    <Center py="xl">
      <Stack align="center">
        <Title order={2}>{t('forbidden.title')}</Title>
        <Text c="dimmed">{t('forbidden.description')}</Text>
      </Stack>
    </Center>
  );
}
