/**
 * Signing in to the web app: POST /v1/session (username and password, or an API key) sets the
 * session cookie; GET reads who is signed in and the CSRF token; DELETE signs out. A signed-in
 * user changes their own password with POST /v1/session/password.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RecontactError } from '../../domain/errors';
import type { Sessions } from '../../engine/access/sessions';
import type { Users } from '../../engine/access/users';
import { assertSameOrigin, clearSessionCookie, sessionToken, setSessionCookie } from '../auth';
import { answer, errorAnswers, noContent } from '../openapi';
import type { AuthFailureLimiter } from '../rate-limits';
import { changePasswordBody, sessionSchema, signInBody } from '../user-schemas';

export interface SessionRouteDeps {
  sessions: Sessions;
  users: Users;
  authFailures: AuthFailureLimiter;
}

const COOKIE = 'The session is the recontact_session cookie (HttpOnly, SameSite=Strict).';

export function sessionRoutes(deps: SessionRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/session',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in (web app): sets the session cookie',
          description: `${COOKIE} Wrong credentials are one answer for an unknown user and a wrong password, and count against the address like bad API keys.`,
          security: [],
          body: signInBody,
          response: {
            201: answer('Signed in; the cookie is set', sessionSchema),
            ...errorAnswers({ body: true, codes: ['CSRF_ORIGIN_FORBIDDEN'] }),
          },
        },
      },
      async (req, reply) => {
        // Signing a victim's browser in as someone else is an attack too (login CSRF).
        assertSameOrigin(req);
        await deps.authFailures.check(req, reply);
        const { username, password, api_key } = req.body;
        const credentials = readCredentials(username, password, api_key);
        const agent = req.headers['user-agent'];
        let signedIn: Awaited<ReturnType<Sessions['signInWithKey']>>;
        try {
          signedIn =
            'key' in credentials
              ? await deps.sessions.signInWithKey(credentials.key, agent)
              : await deps.sessions.signInWithPassword(credentials.username, credentials.password, agent);
        } catch (err) {
          if (err instanceof RecontactError && err.code === 'AUTH_INVALID') {
            await deps.authFailures.record(req, reply);
          }
          throw err;
        }
        // A sign-in replaces the session this browser had.
        const previous = sessionToken(req);
        if (previous) await deps.sessions.signOut(previous);
        setSessionCookie(req, reply, signedIn.token, signedIn.maxAgeSeconds);
        return reply.status(201).send({ data: signedIn.view });
      },
    );

    app.get(
      '/v1/session',
      {
        config: { role: 'viewer', sessionOnly: true },
        schema: {
          tags: ['auth'],
          summary: 'Who is signed in (web app), with the CSRF token',
          description: `${COOKIE} 401 when there is no session or it ended.`,
          response: { 200: answer('The signed-in user or key', sessionSchema), ...errorAnswers() },
        },
      },
      async (req) => ({ data: req.session!.view }),
    );

    app.delete(
      '/v1/session',
      {
        config: { role: 'viewer', sessionOnly: true },
        schema: {
          tags: ['auth'],
          summary: 'Sign out: the session ends on the server and the cookie is cleared',
          description: 'Needs the x-csrf-token header, like every change made with the cookie.',
          response: {
            204: noContent('Signed out'),
            ...errorAnswers({ codes: ['CSRF_TOKEN_INVALID', 'CSRF_ORIGIN_FORBIDDEN'] }),
          },
        },
      },
      async (req, reply) => {
        await deps.sessions.signOut(req.session!.token);
        clearSessionCookie(req, reply);
        return reply.status(204).send();
      },
    );

    app.post(
      '/v1/session/password',
      {
        config: { role: 'viewer', sessionOnly: true },
        schema: {
          tags: ['auth'],
          summary: 'Change your own password (signed in with a password)',
          description:
            'Needs the current password. Your other sessions end; this one stays. Needs the x-csrf-token header.',
          body: changePasswordBody,
          response: {
            204: noContent('Changed'),
            ...errorAnswers({ body: true, codes: ['CSRF_TOKEN_INVALID', 'CSRF_ORIGIN_FORBIDDEN'] }),
          },
        },
      },
      async (req, reply) => {
        const session = req.session!;
        if (session.kind !== 'user') {
          throw new RecontactError(
            'AUTH_FORBIDDEN',
            `You signed in with the API key "${session.principal.name}": a key has no password to change`,
            { hint: 'Sign in with a username and password to change that user’s password.' },
          );
        }
        await deps.users.changeOwnPassword(
          session.principal.keyId,
          req.body.current,
          req.body.new,
          session.id,
        );
        return reply.status(204).send();
      },
    );
  };
}

type Credentials = { key: string } | { username: string; password: string };

function readCredentials(
  username: string | undefined,
  password: string | undefined,
  key: string | undefined,
): Credentials {
  const bad = (message: string, path: string, hint: string) =>
    new RecontactError('INPUT_INVALID', message, { details: [{ path, message }], hint });
  const both = 'Send either {"username", "password"} or {"api_key"}.';
  if (key !== undefined) {
    if (username !== undefined || password !== undefined) {
      throw bad('give an API key or a username and password, not both', 'body.api_key', both);
    }
    if (key.trim() === '') throw bad('must not be empty', 'body.api_key', both);
    return { key: key.trim() };
  }
  if (username === undefined || username.trim() === '') {
    throw bad('is required (with password), unless you sign in with api_key', 'body.username', both);
  }
  if (password === undefined || password === '') {
    throw bad('is required with username', 'body.password', both);
  }
  return { username, password };
}
