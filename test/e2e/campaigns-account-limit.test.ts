/**
 * Meta's messaging limit per account: a number that declares its own limit keeps to it, one that
 * declares none keeps to the process-wide setting, and neither counts the other's users. Both
 * campaigns are queued in the same pass of the runner (driven by hand, no dispatcher), so a
 * count of reached users kept for one account would hold back the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT, sandboxAccount } from '../../src/embedded-sandbox';
import { accountMessagingLimit } from '../../src/engine/campaigns/account-limit';
import { pullTemplates } from '../../src/engine/templates/sync';
import { upsertAccount } from '../../src/store/accounts-repo';
import { recipientsPage } from '../../src/store/campaign-results-query';
import { openSecretBox } from '../../src/store/secret-key-file';
import { taxiCampaign } from '../support/campaigns';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const SECOND = { name: 'second', phoneNumberId: '100000000000021', wabaId: '200000000000021' };
/** The process-wide limit (MESSAGING_LIMIT's role) and the second number's own. */
const PROCESS_LIMIT = 3;
const SECOND_LIMIT = 2;

describe('the messaging limit an account keeps to', () => {
  const fallback = { messagingLimit: 250, messagingLimitSource: 'configured' } as const;
  it("is the account's own, else the process-wide one, and none on a Messenger page", () => {
    expect(accountMessagingLimit({ channel: 'whatsapp', messagingLimit: 2_000 }, fallback)).toEqual({
      messagingLimit: 2_000,
      messagingLimitSource: 'account',
    });
    expect(accountMessagingLimit({ channel: 'whatsapp', messagingLimit: 'unlimited' }, fallback)).toEqual({
      messagingLimit: 'unlimited',
      messagingLimitSource: 'account',
    });
    expect(accountMessagingLimit({ channel: 'whatsapp', messagingLimit: null }, fallback)).toEqual(fallback);
    expect(accountMessagingLimit(undefined, fallback)).toEqual(fallback);
    expect(accountMessagingLimit({ channel: 'messenger', messagingLimit: null }, fallback)).toEqual({
      messagingLimit: 'unlimited',
      messagingLimitSource: 'channel',
    });
  });
});

describe.each(DIALECTS)('messaging limit per account on %s', (dialect) => {
  let h: Harness;
  let seq = 0;
  beforeAll(async () => {
    h = await startHarness(dialect, {
      sandbox: {
        accounts: [
          sandboxAccount({ throughputMps: 0 }),
          sandboxAccount({
            phoneNumberId: SECOND.phoneNumberId,
            wabaId: SECOND.wabaId,
            displayPhoneNumber: '5491100000021',
          }),
        ],
      },
      app: { runDispatcher: false, campaignRunner: { pollMs: 3_600_000, messagingLimit: PROCESS_LIMIT } },
    });
    const box = openSecretBox(h.app.config.secrets, h.store, h.app.ctx.log);
    const second = await upsertAccount(
      h.store.db,
      box,
      {
        id: 'acc_second',
        name: SECOND.name,
        channel: 'whatsapp',
        externalId: SECOND.phoneNumberId,
        wabaId: SECOND.wabaId,
        accessToken: SANDBOX_ACCOUNT.accessToken,
        appSecret: SANDBOX_ACCOUNT.appSecret,
        verifyToken: SANDBOX_ACCOUNT.verifyToken,
        baseUrl: h.app.config.whatsapp!.baseUrl,
        graphVersion: h.app.config.whatsapp!.graphVersion,
        throughputMps: 80,
        messagingLimit: SECOND_LIMIT,
        source: 'api',
      },
      h.app.ctx.clock(),
    );
    await pullTemplates(h.app.ctx, h.app.channel, second);
    await h.app.accounts.reload();
  });
  afterAll(() => h?.close());

  const contacts = async (account: string, tag: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const phone = `+5493417${String(++seq).padStart(6, '0')}`;
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}?account_id=${account}`, {
        name: `Persona ${seq}`,
        tags: [tag],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
  };
  const launch = async (account: string, tag: string) => {
    const c = await h.api('POST', `/v1/campaigns?account_id=${account}`, taxiCampaign(`to ${tag}`, tag));
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    const plan = await h.api('POST', `/v1/campaigns/${c.json.id}/plan?account_id=${account}`);
    expect(plan.status, JSON.stringify(plan.json)).toBe(200);
    const l = await h.api('POST', `/v1/campaigns/${c.json.id}/launch?account_id=${account}`);
    expect(l.status, JSON.stringify(l.json)).toBe(200);
    return { id: c.json.id as string, plan: plan.json };
  };
  const queued = async (campaignId: string) =>
    (await recipientsPage(h.store.db, { campaignId, states: ['queued'], limit: 100 })).length;

  it("queues each account's new users up to its own limit, in the same pass", async () => {
    await contacts('default', 'first', 5);
    await contacts(SECOND.name, 'second', 5);
    const first = await launch('default', 'first');
    const second = await launch(SECOND.name, 'second');
    // The plan reads the account's own limit; the harness's process-wide one is the sandbox's none.
    expect(second.plan.messaging_limit).toMatchObject({
      limit: SECOND_LIMIT,
      source: 'account',
      reached: 0,
      go_now: SECOND_LIMIT,
      waiting: 5 - SECOND_LIMIT,
    });
    expect(first.plan.messaging_limit).toMatchObject({ limit: 'unlimited', source: 'sandbox' });

    // Two passes: the first may only move the campaigns to running, the next queues both.
    await h.app.campaigns.runOnce();
    await h.app.campaigns.runOnce();
    expect(await queued(first.id)).toBe(PROCESS_LIMIT);
    expect(await queued(second.id)).toBe(SECOND_LIMIT);
    const counts = (await h.api('GET', `/v1/campaigns/${second.id}?account_id=${SECOND.name}`)).json.counts;
    expect(counts).toMatchObject({ queued: SECOND_LIMIT, pending: 5 - SECOND_LIMIT });
  });
});
