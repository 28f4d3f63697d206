/** (being built for issue 13) */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../server';

export function sandboxPhoneRoutes(_deps: ApiDeps) {
  return async (_app: FastifyInstance): Promise<void> => {};
}
