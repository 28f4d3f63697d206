/** Requests and answers of /v1/session (signing in to the web app) and /v1/users (OpenAPI at /docs). */
import { z } from 'zod';
import { ROLES } from '../engine/access/api-keys';

const role = z
  .enum(ROLES)
  .describe('viewer: read; sender: read and send; admin: everything, users and keys included');

export const signInBody = z
  .object({
    username: z.string().max(200).optional().describe('With password: a user (any case)'),
    password: z.string().max(4_096).optional(),
    api_key: z.string().max(500).optional().describe('Instead of a username and password: an API key (rk_…)'),
  })
  .strict()
  .describe('Either {username, password} or {api_key}; the session takes the role of the user or key.');

export const sessionSchema = z
  .object({
    data: z.object({
      user: z.object({
        name: z.string().describe("The username, or the API key's name"),
        display_name: z.string().nullable().describe("The user's display name (null for a key)"),
        role: z.enum(ROLES),
        kind: z.enum(['user', 'api_key']).describe('Signed in with a password, or with an API key'),
      }),
      csrf_token: z
        .string()
        .describe(
          'Send it in the x-csrf-token header with every POST, PUT, PATCH and DELETE made with the cookie',
        ),
    }),
  })
  .meta({ id: 'Session', description: 'Who is signed in, and the CSRF token of the session' });

export const changePasswordBody = z
  .object({
    current: z.string().max(4_096).describe('The password you signed in with'),
    new: z.string().max(4_096).describe('At least 12 characters, at most 1,024'),
  })
  .strict();

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string().describe('Stored in lower case; sign-in ignores case'),
    name: z.string().nullable().describe('Display name'),
    role,
    status: z.enum(['active', 'disabled']),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    disabled_at: z.iso.datetime().nullable(),
    last_sign_in_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'User', description: 'A person who signs in to the web app; never the password nor its hash' });

export const userListSchema = z.object({ data: z.array(userSchema) });

export const createUserBody = z
  .object({
    username: z.string().max(200).describe('1–64 of a–z, 0–9, . _ - @ (case is folded), e.g. "ana"'),
    name: z.string().max(400).optional().describe('Display name, e.g. "Ana Pérez"'),
    role,
    password: z.string().max(4_096).describe('At least 12 characters, at most 1,024'),
  })
  .strict();

export const updateUserBody = z
  .object({
    name: z.string().max(400).nullable().optional().describe('New display name (null removes it)'),
    role: role.optional(),
    password: z.string().max(4_096).optional().describe('A new password; ends all the user’s sessions'),
    disabled: z
      .boolean()
      .optional()
      .describe('true: the user can no longer sign in, and their sessions end; false: enabled again'),
  })
  .strict();

export const userIdParams = z.object({
  id: z.string().min(1).max(100).describe('The user id (usr_…) or username'),
});
