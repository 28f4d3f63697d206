/**
 * Users of the web app (admin role): list, create, read, change (name, role, password,
 * disabled). There is no DELETE: a user is disabled, never removed, so what they did stays
 * attributed to someone who exists. Passwords and their hashes are never in an answer.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Users } from '../../engine/access/users';
import { answer, errorAnswers } from '../openapi';
import { createUserBody, updateUserBody, userIdParams, userListSchema, userSchema } from '../user-schemas';

export function userRoutes(deps: { users: Users }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/users',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Users of the web app: username, name, role, status, last sign-in',
          response: { 200: answer('Every user, by username', userListSchema), ...errorAnswers() },
        },
      },
      async () => ({ data: await deps.users.list() }),
    );

    app.post(
      '/v1/users',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Create a user who signs in to the web app with a password',
          description:
            'Usernames ignore case and are stored in lower case. Passwords: 12 to 1,024 characters; only a scrypt hash is kept.',
          body: createUserBody,
          response: {
            201: answer('Created', userSchema),
            ...errorAnswers({ body: true, codes: ['USERNAME_TAKEN'] }),
          },
        },
      },
      async (req, reply) => reply.status(201).send(await deps.users.create(req.body)),
    );

    app.get(
      '/v1/users/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'A user, by id or username',
          params: userIdParams,
          response: {
            200: answer('The user', userSchema),
            ...errorAnswers({ input: true, codes: ['USER_NOT_FOUND'] }),
          },
        },
      },
      async (req) => deps.users.find(req.params.id),
    );

    app.patch(
      '/v1/users/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Change a user: name, role, password, or disable / enable',
          description:
            'A new password or disabling ends all the user’s sessions. The last enabled admin user cannot be demoted or disabled.',
          params: userIdParams,
          body: updateUserBody,
          response: {
            200: answer('The user as changed', userSchema),
            ...errorAnswers({ body: true, codes: ['USER_NOT_FOUND', 'USER_LAST_ADMIN'] }),
          },
        },
      },
      async (req) => deps.users.update(req.params.id, req.body),
    );
  };
}
