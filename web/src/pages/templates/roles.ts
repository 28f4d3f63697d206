import type { Role } from '../../app/session';

/**
 * The roles the API asks for (src/api/routes/templates.ts): viewers read, lint, diff and preview;
 * push and pull change Meta or our copy of it and need an admin. Senders may edit drafts here
 * (nothing is stored until a push), so they can prepare a template for an admin to push.
 */
export const EDIT_ROLE: Role = 'sender';
export const PUSH_ROLE: Role = 'admin';
