import '@mantine/core/styles.css';
import './console.css';
import { createTheme, localStorageColorSchemeManager, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiClient } from './api/client.ts';
import { ApiError } from './api/errors.ts';
import { App } from './app/App.tsx';
import { AuthProvider } from './auth/session.tsx';
import { I18nProvider } from './i18n/index.tsx';

function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const client = new ApiClient({ storage: sessionStore() });
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Refused, missing and malformed answers do not get better by asking again.
      retry: (failures, error) =>
        failures < 2 && error instanceof ApiError && (error.code === 'NETWORK' || error.status >= 500),
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
  },
});
const theme = createTheme({
  primaryColor: 'indigo',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
});
const colorSchemeManager = localStorageColorSchemeManager({ key: 'bulwark.console.colorScheme' });

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <MantineProvider theme={theme} colorSchemeManager={colorSchemeManager} defaultColorScheme="light">
        <QueryClientProvider client={queryClient}>
          <I18nProvider>
            <AuthProvider client={client}>
              <App />
            </AuthProvider>
          </I18nProvider>
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
}
