/**
 * Who is signed in. The session lives in an HttpOnly cookie the page cannot read; the app asks
 * GET /v1/session at start and after sign-in, and keeps the CSRF token that the answer carries
 * for the calls that change something. A 401 from any call brings the sign-in page back.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { onSignedOut, setCsrfToken } from '../api/client';
import { ApiError } from '../api/errors';

export type Role = 'viewer' | 'sender' | 'admin';
const ROLE_ORDER: Role[] = ['viewer', 'sender', 'admin'];

export interface SessionUser {
  /** The username, or the API key's name. */
  name: string;
  /** The user's display name (null for a key). */
  display_name?: string | null;
  role: Role;
  kind: 'user' | 'api_key';
}

interface SessionState {
  user: SessionUser | null | undefined; // undefined: not known yet
  signIn(credentials: { username: string; password: string } | { api_key: string }): Promise<void>;
  signOut(): Promise<void>;
  /** Whether the signed-in role is at least `role` (the API has the last word). */
  can(role: Role): boolean;
}

const SessionContext = createContext<SessionState | null>(null);

interface SessionBody {
  data: { user: SessionUser; csrf_token: string };
}

async function sessionCall(method: 'GET' | 'POST' | 'DELETE', body?: unknown, csrf?: string) {
  const res = await fetch('/v1/session', {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(csrf ? { 'x-csrf-token': csrf } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) throw ApiError.from(res.status, json);
  return json as SessionBody | undefined;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);
  const [csrf, setCsrf] = useState<string | undefined>(undefined);

  const adopt = useCallback((body: SessionBody | undefined) => {
    setCsrfToken(body?.data.csrf_token);
    setCsrf(body?.data.csrf_token);
    setUser(body?.data.user ?? null);
  }, []);

  useEffect(() => {
    sessionCall('GET').then(adopt, () => adopt(undefined));
    return onSignedOut(() => adopt(undefined));
  }, [adopt]);

  const value = useMemo<SessionState>(
    () => ({
      user,
      signIn: async (credentials) => adopt(await sessionCall('POST', credentials)),
      signOut: async () => {
        await sessionCall('DELETE', undefined, csrf).catch(() => undefined);
        adopt(undefined);
      },
      can: (role) => !!user && ROLE_ORDER.indexOf(user.role) >= ROLE_ORDER.indexOf(role),
    }),
    [user, csrf, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
