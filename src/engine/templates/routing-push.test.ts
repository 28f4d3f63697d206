/**
 * A template's routing goes from the file to templates.routing on push, on both databases, and
 * never to Meta: an unchanged template gets no call, a created one a body without it.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { ProviderTemplate, TemplateProvider } from '../../channels/channel';
import type { TemplateDefinition } from '../../domain/templates/model';
import type { AccountWithLimits } from '../../store/accounts-repo';
import { getTemplateRouting, upsertTemplate } from '../../store/templates-repo';
import type { EngineContext } from '../context';
import { readTemplateInput } from './input';
import { pushTemplates } from './push';

const ACCOUNT: AccountWithLimits = {
  id: 'acc_test',
  name: 'test',
  channel: 'whatsapp',
  externalId: '1',
  wabaId: '2',
  accessToken: 't',
  appSecret: 's',
  verifyToken: 'v',
  baseUrl: 'http://meta.invalid',
  graphVersion: 'v25.0',
  throughputMps: 80,
  messagingLimit: null,
  source: 'api',
  disabledAt: null,
  createdAt: 0,
  updatedAt: 0,
};

const DEF: TemplateDefinition = {
  name: 'promo',
  language: 'es_AR',
  category: 'MARKETING',
  parameter_format: 'POSITIONAL',
  components: [
    { type: 'BODY', text: 'Hola {{1}}, ¿querés un descuento?', example: { body_text: [['Emilia']] } },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Sí, quiero' },
        { type: 'QUICK_REPLY', text: 'No quiero promociones' },
      ],
    },
  ],
};
const ROUTING = { opt_out: { marketing: ['STOP_PROMOS', 'No quiero promociones'] } };

function provider(listed: ProviderTemplate[]) {
  const calls: Array<{ op: string; body?: Record<string, unknown> }> = [];
  const p: TemplateProvider = {
    async listTemplates() {
      calls.push({ op: 'list' });
      return { ok: true, value: listed };
    },
    async createTemplate(_a, body) {
      calls.push({ op: 'create', body });
      return { ok: true, value: { providerTemplateId: '900', status: 'PENDING', category: 'MARKETING' } };
    },
    async editTemplate(_a, _id, change) {
      calls.push({ op: 'edit', body: change });
      return { ok: true, value: { success: true } };
    },
  };
  return { p, calls };
}

describe.each(DIALECTS)('template routing on push, on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    let n = 0;
    ctx = { store, clock: Date.now, id: (p) => `${p}_${++n}`, log: pino({ level: 'silent' }) };
  });
  afterEach(() => store.destroy());

  const input = (defs: unknown[]) => readTemplateInput({ templates: defs });
  const routing = () => getTemplateRouting(store.db, ACCOUNT.id, DEF.name, DEF.language);

  it('stores the routing of a created template and sends Meta a body without it', async () => {
    const { p, calls } = provider([]);
    await pushTemplates(ctx, p, ACCOUNT, input([{ ...DEF, routing: ROUTING }]), { dryRun: false });
    const create = calls.find((c) => c.op === 'create');
    expect(create?.body).toBeDefined();
    expect(Object.keys(create!.body!)).not.toContain('routing');
    expect((await routing())?.routing).toEqual(ROUTING);
  });

  it('stores routing for a template Meta already has unchanged, with no call to change it', async () => {
    await upsertTemplate(
      store.db,
      {
        id: 'tpl_1',
        accountId: ACCOUNT.id,
        ...DEF,
        status: 'APPROVED',
        providerTemplateId: '777',
        rejectedReason: null,
        qualityScore: 'GREEN',
      },
      Date.now(),
    );
    const atMeta: ProviderTemplate = {
      providerTemplateId: '777',
      name: DEF.name,
      language: DEF.language,
      status: 'APPROVED',
      category: 'MARKETING',
      parameter_format: 'POSITIONAL',
      components: DEF.components as unknown as Array<Record<string, unknown>>,
    };
    const { p, calls } = provider([atMeta]);
    const report = await pushTemplates(ctx, p, ACCOUNT, input([{ ...DEF, routing: ROUTING }]), {
      dryRun: false,
    });
    expect(report.results[0]?.outcome).toBe('unchanged');
    expect(calls.map((c) => c.op)).toEqual(['list']);
    expect((await routing())?.routing).toEqual(ROUTING);

    // The file is the truth: pushed again without routing, the template has none.
    await pushTemplates(ctx, p, ACCOUNT, input([DEF]), { dryRun: false });
    expect((await routing())?.routing).toBeNull();
  });

  it('refuses a malformed routing before anything reaches Meta, naming where', async () => {
    const { p, calls } = provider([]);
    await expect(
      pushTemplates(ctx, p, ACCOUNT, input([{ ...DEF, routing: { opt_out: { promos: ['X'] } } }]), {
        dryRun: false,
      }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      details: [
        {
          path: 'promo (es_AR) routing.opt_out.promos',
          message: expect.stringMatching(/^routing: the scope is marketing or all/),
        },
      ],
    });
    expect(calls).toEqual([]);
  });
});
