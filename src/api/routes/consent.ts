/**
 * Consent by API: a contact's ledger and state, a change recorded by the bot or by a person
 * (source api or agent), and the account's consent settings (keywords, opt-out payloads,
 * confirmation texts, marketing frequency cap).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONSENT_SCOPES, CONSENT_STATES, deriveConsent } from '../../domain/contacts/consent';
import { type ConsentSettings, effectiveKeywords } from '../../domain/contacts/consent-settings';
import type { KeywordLists } from '../../domain/contacts/keywords';
import { isoTimeOrNull } from '../../domain/iso-time';
import { ConsentService, type ConsentView, consentEntryView } from '../../engine/contacts/consent';
import { consentEntrySchema } from '../contact-schemas';
import { answer, errorAnswers } from '../openapi';
import { accountQuery, windowParams } from '../schemas';
import type { ApiDeps } from '../server';

const scopes = z.enum(CONSENT_SCOPES);
const keywordList = z.array(z.string().min(1).max(200)).max(1000);
const scoped = (list: z.ZodType<string[]>) =>
  z.object({ all: list.optional(), marketing: list.optional() }).strict();

const settingsBody = z
  .object({
    keywords: z
      .object({
        mode: z
          .enum(['extend', 'replace'])
          .optional()
          .describe('extend (default): the built-in es/pt/en keywords plus these; replace: these only'),
        opt_out: scoped(keywordList).optional().describe('Whole-message keywords that opt out, per scope'),
        opt_in: scoped(keywordList).optional().describe('Whole-message keywords that opt in, per scope'),
      })
      .strict()
      .optional(),
    opt_out_payloads: scoped(keywordList)
      .optional()
      .describe('Quick-reply payloads or interactive reply ids that opt out, on any message (exact match)'),
    confirmations: z
      .object({
        opt_out: z.string().max(5000).nullable().optional(),
        opt_in: z.string().max(5000).nullable().optional(),
      })
      .strict()
      .optional()
      .describe(
        'Texts sent back after a keyword, button or WhatsApp preference change, only while the window is open',
      ),
    marketing_frequency_cap_hours: z
      .number()
      .optional()
      .describe(
        'Audiences leave out contacts sent a marketing template this recently (default 24, 0 = no cap)',
      ),
  })
  .strict();

const scopedStrings = z.object({ all: z.array(z.string()), marketing: z.array(z.string()) });
const settingsSchema = z
  .object({
    account_id: z.string(),
    keywords: z.object({
      mode: z.enum(['extend', 'replace']),
      opt_out: scopedStrings,
      opt_in: scopedStrings,
    }),
    opt_out_payloads: scopedStrings,
    confirmations: z.object({ opt_out: z.string().nullable(), opt_in: z.string().nullable() }),
    marketing_frequency_cap_hours: z.number().int(),
    effective_keywords: z
      .object({ opt_out: scopedStrings, opt_in: scopedStrings })
      .describe('The keywords in force: the defaults and yours (extend), or yours (replace)'),
  })
  .meta({ id: 'ConsentSettings' });

const consentSchema = z
  .object({
    contact_id: z.string(),
    wa_id: z.string(),
    account_id: z.string(),
    marketing: z.enum(CONSENT_STATES).describe('Whether marketing templates may be sent'),
    all: z.enum(CONSENT_STATES).describe('Whether anything we start may be sent'),
    updated_at: z.string().nullable(),
    history: z.array(consentEntrySchema).describe('Every change, oldest first; the state is derived from it'),
  })
  .meta({ id: 'ContactConsent' });

const changeBody = z
  .object({
    scope: scopes.describe('marketing: marketing templates only; all: every message we start'),
    state: z.enum(['opted_in', 'opted_out']),
    source: z
      .enum(['api', 'agent'])
      .default('api')
      .describe('api: your system recorded it; agent: a person did (say who in note)'),
    note: z.string().max(1000).optional().describe('Why, or where the person said it; kept as evidence'),
  })
  .strict();

function settingsView(accountId: string, s: ConsentSettings) {
  const k = effectiveKeywords(s);
  const copy = (l: KeywordLists['opt_out']) => ({ all: [...l.all], marketing: [...l.marketing] });
  return {
    account_id: accountId,
    ...s,
    effective_keywords: { opt_out: copy(k.opt_out), opt_in: copy(k.opt_in) },
  };
}

function consentView(accountId: string, v: ConsentView) {
  const state = deriveConsent(v.history);
  return {
    contact_id: v.contact.id,
    wa_id: v.contact.wa_id,
    account_id: accountId,
    marketing: state.marketing,
    all: state.all,
    updated_at: isoTimeOrNull(v.contact.consent_updated_at),
    history: v.history.map(consentEntryView),
  };
}

export const consentRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const consent = new ConsentService(deps.ctx, deps.events);

    app.get(
      '/v1/contacts/:contact/consent',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "A contact's consent and its history",
          params: windowParams,
          querystring: accountQuery,
          response: {
            200: answer('The state derived from the ledger, and the ledger', consentSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return consentView(account.id, await consent.history(account.id, req.params.contact));
      },
    );

    app.post(
      '/v1/contacts/:contact/consent',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['contacts'],
          summary: 'Record a consent change (by your system or by an agent)',
          description:
            'Appends to the ledger and sends contact.opted_out / contact.opted_in to your endpoints. A phone number ' +
            'never seen before becomes a contact, so an opt-out given elsewhere holds from the first send.',
          params: windowParams,
          querystring: accountQuery,
          body: changeBody,
          response: {
            201: answer('Recorded; the state and history after it', consentSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const view = await consent.record(account.id, req.params.contact, {
          scope: req.body.scope,
          state: req.body.state,
          source: req.body.source,
          note: req.body.note,
          apiKeyId: req.principal?.keyId,
        });
        return reply.status(201).send(consentView(account.id, view));
      },
    );

    app.get(
      '/v1/consent/settings',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "The account's consent settings",
          querystring: accountQuery,
          response: {
            200: answer('Settings, with the keywords in force', settingsSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return settingsView(account.id, await consent.settings(account.id));
      },
    );

    app.put(
      '/v1/consent/settings',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['contacts'],
          summary: "Replace the account's consent settings",
          description:
            'Parts left out take their defaults. A keyword is compared without case, accents and surrounding ' +
            'punctuation; one meaning two things, or redefining a default keyword without mode "replace", is refused ' +
            'with every problem listed.',
          querystring: accountQuery,
          body: settingsBody,
          response: {
            200: answer('Saved', settingsSchema),
            ...errorAnswers({ body: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return settingsView(account.id, await consent.saveSettings(account.id, req.body));
      },
    );
  };
