import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { can, isStaffRole, type Permission } from '../../../src/access/permissions.ts';
import { type ApiClient, type StaffView, staffView } from '../api/client.ts';
import { type ApiError, toApiError } from '../api/errors.ts';

/**
 * Who is signed in. What the console shows and lets a user click follows their role
 * through the same permission matrix the API enforces (src/access/permissions.ts); the
 * API still decides every request.
 */
export type AuthState =
  | { status: 'restoring' }
  | { status: 'signedOut'; ended: ApiError | null; restoreFailed: ApiError | null }
  | { status: 'signedIn'; staff: StaffView };

export interface Auth {
  state: AuthState;
  client: ApiClient;
  login(input: { email: string; password: string; code: string }): Promise<void>;
  logout(): Promise<void>;
  can(permission: Permission): boolean;
  /** The signed-in staff user (throws outside the signed-in part of the console). */
  staff: StaffView | null;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>(() =>
    client.canRestore ? { status: 'restoring' } : { status: 'signedOut', ended: null, restoreFailed: null },
  );

  useEffect(() => {
    client.onSessionEnded = (reason) => {
      queryClient.clear();
      setState({ status: 'signedOut', ended: reason, restoreFailed: null });
    };
    return () => {
      client.onSessionEnded = undefined;
    };
  }, [client, queryClient]);

  useEffect(() => {
    if (state.status !== 'restoring') return;
    let live = true;
    (async () => {
      try {
        if (!(await client.restore())) {
          if (live) setState({ status: 'signedOut', ended: null, restoreFailed: null });
          return;
        }
        const staff = await client.get('/v1/staff/me', staffView);
        if (live) setState({ status: 'signedIn', staff });
      } catch (err) {
        if (live) setState({ status: 'signedOut', ended: null, restoreFailed: toApiError(err) });
      }
    })();
    return () => {
      live = false;
    };
  }, [client, state.status]);

  const login = useCallback(
    async (input: { email: string; password: string; code: string }) => {
      const staff = await client.login(input);
      queryClient.clear();
      setState({ status: 'signedIn', staff });
    },
    [client, queryClient],
  );

  const logout = useCallback(async () => {
    await client.logout();
    queryClient.clear();
    setState({ status: 'signedOut', ended: null, restoreFailed: null });
  }, [client, queryClient]);

  const value = useMemo<Auth>(() => {
    const staff = state.status === 'signedIn' ? state.staff : null;
    const role = staff?.role;
    return {
      state,
      client,
      login,
      logout,
      staff,
      can: (permission) => role !== undefined && isStaffRole(role) && can(role, permission),
    };
  }, [state, client, login, logout]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

export function useApi(): ApiClient {
  return useAuth().client;
}
