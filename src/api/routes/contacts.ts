import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import {
  getContactDetail,
  listContacts,
  patchContact,
  upsertContact,
} from '../../engine/contacts/contact-book';
import { contactWindow } from '../../engine/contacts/contact-window';
import { eraseContact } from '../../engine/contacts/erasure';
import {
  contactDetailSchema,
  contactListSchema,
  contactParams,
  contactSchema,
  erasureSchema,
  listContactsQuery,
  patchContactBody,
  putContactBody,
} from '../contact-schemas';
import { answer, errorAnswers } from '../openapi';
import { accountQuery, encodeCursor, windowParams, windowSchema } from '../schemas';
import type { ApiDeps } from '../server';

export const contactRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/contacts/:contact/window',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "A contact's customer-service window",
          description:
            'Open until 24 h after the last inbound message; outbound messages never extend it. ' +
            'A number that never wrote has a closed window (known: false).',
          params: windowParams,
          querystring: accountQuery,
          response: {
            200: answer('The window now', windowSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const found = await contactWindow(deps.ctx, account.id, req.params.contact);
        const w = found.window;
        return {
          known: found.contact !== undefined,
          contact_id: found.contact?.id ?? null,
          wa_id: found.waId,
          account_id: account.id,
          open: w.open,
          expires_at: isoTimeOrNull(w.expiresAt),
          last_inbound_at: isoTimeOrNull(w.lastInboundAt),
          remaining_seconds: Math.max(0, Math.floor(w.remainingMs / 1000)),
          now: new Date(found.now).toISOString(),
        };
      },
    );

    app.get(
      '/v1/contacts',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: 'List contacts, filtered, page by page',
          description:
            'In creation order, keyset-paged: pass `next_cursor` as `cursor` until it is null. Filters combine with AND: ' +
            'tag (all of), tag_any, tag_none, attr=name:op:value (op eq, ne, lt, gt, in, exists), opted_out, window, q. ' +
            'Erased contacts never appear.',
          querystring: listContactsQuery,
          response: {
            200: answer('One page of contacts', contactListSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const account = deps.accounts.resolve(q.account_id);
        const page = await listContacts(deps.ctx, account.id, {
          ...(q.tag ? { tag: q.tag } : {}),
          ...(q.tag_any ? { tag_any: q.tag_any } : {}),
          ...(q.tag_none ? { tag_none: q.tag_none } : {}),
          ...(q.attr ? { attr: q.attr } : {}),
          ...(q.opted_out === undefined ? {} : { opted_out: q.opted_out }),
          ...(q.window ? { window: q.window } : {}),
          ...(q.q ? { q: q.q } : {}),
          ...(q.cursor ? { after: q.cursor } : {}),
          limit: q.limit,
        });
        return {
          data: page.data,
          next_cursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter),
        };
      },
    );

    app.get(
      '/v1/contacts/:contact',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: 'One contact: profile, window, consent with its history, last messages',
          params: contactParams,
          querystring: accountQuery,
          response: {
            200: answer('The contact', contactDetailSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return getContactDetail(deps.ctx, account.id, req.params.contact);
      },
    );

    app.put(
      '/v1/contacts/:contact',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['contacts'],
          summary: "Create or replace a contact's profile",
          description:
            'PUT replaces: name, language, time_zone, tags and attributes left out of the body are cleared (a missing ' +
            "time_zone is inferred from the phone's country and flagged). By phone it creates the contact (201) when new; " +
            'by id (ctc_…) or BSUID it updates only. Consent is not written here: POST /v1/contacts/{contact}/consent.',
          params: contactParams,
          querystring: accountQuery,
          body: putContactBody,
          response: {
            200: answer('Updated (or unchanged)', contactSchema),
            201: answer('Created', contactSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { opted_out: _o, consent: _c, ...body } = req.body;
        const result = await upsertContact(deps.ctx, account.id, req.params.contact, body);
        return reply.status(result.created ? 201 : 200).send(result.contact);
      },
    );

    app.patch(
      '/v1/contacts/:contact',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['contacts'],
          summary: "Merge into a contact's profile",
          description:
            'Sets the fields given (null clears name or language; a null time_zone is inferred again), sets `attributes` ' +
            'and removes `remove_attributes`, adds `add_tags` and removes `remove_tags`. Everything else stays.',
          params: contactParams,
          querystring: accountQuery,
          body: patchContactBody,
          response: {
            200: answer('The contact after the change', contactSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { opted_out: _o, consent: _c, ...body } = req.body;
        return patchContact(deps.ctx, account.id, req.params.contact, body);
      },
    );

    app.delete(
      '/v1/contacts/:contact',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['contacts'],
          summary: "Erase a person's data (data-protection request)",
          description:
            'In one transaction: the profile, the address, message bodies and parameters, inbound texts, consent evidence, ' +
            "event payloads and Meta's stored webhook bodies about the person are erased; anonymous rows stay so counts " +
            'still add up, and the fact that consent was withdrawn is kept. Queued messages are failed, not sent. The contact ' +
            'is then gone for every lookup: a second DELETE answers 404, and a new message from the number makes a new contact.',
          params: contactParams,
          querystring: accountQuery,
          response: {
            200: answer('Erased: rows changed per table', erasureSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const erasure = await eraseContact(deps.ctx, account.id, req.params.contact);
        return {
          contact_id: erasure.contactId,
          erased_at: isoTime(erasure.erasedAt),
          erased: erasure.counts,
        };
      },
    );
  };
