import {
  Alert,
  Button,
  Center,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../api/errors.ts';
import { useAuth } from '../auth/session.tsx';
import { LanguageSwitch, ThemeToggle } from '../components/Controls.tsx';
import { useI18n } from '../i18n/index.tsx';

function fromOf(state: unknown): string {
  if (typeof state === 'object' && state !== null && 'from' in state && typeof state.from === 'string') {
    return state.from.startsWith('/') && !state.from.startsWith('/sign-in') ? state.from : '/overview';
  }
  return '/overview';
}

/** Staff sign-in: e-mail, password and the authenticator's current code, always all three. */
export function SignIn() {
  const { t, errorText } = useI18n();
  const auth = useAuth();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (auth.state.status === 'signedIn') return <Navigate to={fromOf(location.state)} replace />;
  const ended = auth.state.status === 'signedOut' ? auth.state.ended : null;
  const restoreFailed = auth.state.status === 'signedOut' ? auth.state.restoreFailed : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!/^[0-9]{6,8}$/.test(code.trim())) {
      setError('code');
      return;
    }
    setBusy(true);
    try {
      await auth.login({ email: email.trim(), password, code: code.trim() });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setPassword('');
      setCode('');
    }
  };

  const message =
    error === 'code'
      ? t('auth.codeFormat')
      : error instanceof ApiError && error.code === 'VALIDATION_FAILED'
        ? t('auth.fillAll')
        : error !== null
          ? errorText(error)
          : null;

  return (
    <Center mih="100vh" p="md">
      <Stack w="100%" maw={420}>
        <Group justify="flex-end">
          <LanguageSwitch />
          <ThemeToggle />
        </Group>
        <Paper withBorder shadow="sm" p="xl" radius="md">
          <form onSubmit={submit} noValidate aria-labelledby="sign-in-title">
            <Stack>
              <div>
                <Title order={1} size="h3" id="sign-in-title">
                  {t('auth.title')}
                </Title>
                <Text c="dimmed" size="sm">
                  {t('auth.subtitle')}
                </Text>
              </div>
              {ended && (
                <Alert color="yellow" variant="light">
                  {t('auth.sessionEnded')}
                </Alert>
              )}
              {restoreFailed && (
                <Alert color="yellow" variant="light">
                  {errorText(restoreFailed)}
                </Alert>
              )}
              <TextInput
                label={t('auth.email')}
                type="email"
                autoComplete="username"
                value={email}
                onChange={(e) => setEmail(e.currentTarget.value)}
                required
                name="email"
              />
              <PasswordInput
                label={t('auth.password')}
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                required
                name="password"
              />
              <TextInput
                label={t('auth.code')}
                description={t('auth.codeHint')}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={8}
                value={code}
                onChange={(e) => setCode(e.currentTarget.value)}
                required
                name="code"
              />
              {message && (
                <Alert color="red" variant="light" role="alert" data-testid="sign-in-error">
                  {message}
                </Alert>
              )}
              <Button type="submit" loading={busy} fullWidth>
                {t('auth.signIn')}
              </Button>
            </Stack>
          </form>
        </Paper>
      </Stack>
    </Center>
  );
}
