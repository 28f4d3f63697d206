/**
 * /_sandbox endpoints that say what each phone number sent (number-sends.ts), loopback only like
 * every /_sandbox route (control-route.ts). Errors: `{error: {message}}`.
 *
 *   GET /_sandbox/sends                        {data: [per number: accepted, throttled, duplicates, …]}
 *   GET /_sandbox/accounts/{phone}/sends       the same for one number, with `callback_data`:
 *                                              {biz_opaque_callback_data: times accepted}
 */
import type { FastifyInstance } from 'fastify';
import type { SandboxState } from './state';

export function registerSendsRoutes(app: FastifyInstance, state: SandboxState): void {
  app.get('/_sandbox/sends', () => ({
    data: [...state.accounts.values()].map((a) => a.sends.view()),
  }));

  app.get<{ Params: { phone: string } }>('/_sandbox/accounts/:phone/sends', (req, reply) => {
    const a = state.accounts.get(req.params.phone);
    if (!a)
      return reply.code(404).send({ error: { message: `unknown phone number id ${req.params.phone}` } });
    return { ...a.sends.view(), callback_data: Object.fromEntries(a.sends.callbackCounts) };
  });
}
