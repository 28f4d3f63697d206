/**
 * pushTemplates against a scripted TemplateProvider, on both databases: what is stored when Meta
 * accepts, refuses, or reviews faster than its own HTTP answer arrives.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { ProviderResult, ProviderTemplate, TemplateProvider } from '../../channels/channel';
import type { TemplateDefinition } from '../../domain/templates/model';
import type { AccountWithLimits } from '../../store/accounts-repo';
import { getTemplate, setTemplateStatus, upsertTemplate } from '../../store/templates-repo';
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
  name: 'appointment_reminder',
  language: 'es_AR',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu turno es mañana. ¿Confirmás?',
      example: { body_text: [['Emilia']] },
    },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Sí' }] },
  ],
};

const EDITED: TemplateDefinition = {
  ...DEF,
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu cita es mañana. ¿Confirmás?',
      example: { body_text: [['Emilia']] },
    },
    DEF.components[1]!,
  ],
};

/** A provider whose answers the test scripts; records what was called. */
function scripted(listed: ProviderTemplate[]) {
  const calls: string[] = [];
  const provider: TemplateProvider & {
    onCreate?: () => Promise<
      ProviderResult<{ providerTemplateId: string; status: string; category: string }>
    >;
    onEdit?: () => Promise<ProviderResult<{ success: boolean }>>;
  } = {
    async listTemplates() {
      calls.push('list');
      return { ok: true, value: listed };
    },
    async createTemplate(_a, def) {
      calls.push(`create ${def.name}`);
      return provider.onCreate
        ? provider.onCreate()
        : {
            ok: true,
            value: { providerTemplateId: '900', status: 'PENDING', category: String(def.category) },
          };
    },
    async editTemplate(_a, id) {
      calls.push(`edit ${id}`);
      return provider.onEdit ? provider.onEdit() : { ok: true, value: { success: true } };
    },
  };
  return { provider, calls };
}

const approvedAtMeta: ProviderTemplate = {
  providerTemplateId: '777',
  name: DEF.name,
  language: DEF.language,
  status: 'APPROVED',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: DEF.components as unknown as Array<Record<string, unknown>>,
  qualityScore: 'GREEN',
};

describe.each(DIALECTS)('pushTemplates on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    let n = 0;
    ctx = { store, clock: Date.now, id: (p) => `${p}_${++n}`, log: pino({ level: 'silent' }) };
  });
  afterEach(() => store.destroy());

  const input = (defs: TemplateDefinition[]) => readTemplateInput({ templates: defs });
  const stored = () => getTemplate(store.db, ACCOUNT.id, DEF.name, DEF.language);

  it('stores a created template as PENDING with the id Meta gave it', async () => {
    const { provider, calls } = scripted([]);
    const report = await pushTemplates(ctx, provider, ACCOUNT, input([DEF]), { dryRun: false });
    expect(calls).toEqual(['list', 'create appointment_reminder']);
    expect(report.results[0]).toMatchObject({
      outcome: 'created',
      provider_template_id: '900',
      status: 'PENDING',
    });
    expect(await stored()).toMatchObject({
      status: 'PENDING',
      providerTemplateId: '900',
      qualityScore: null,
    });
  });

  it('keeps a review that was applied before Meta’s create answer arrived', async () => {
    const { provider } = scripted([]);
    // Meta's webhook overtakes its HTTP answer: the row written before the call receives it.
    provider.onCreate = async () => {
      const applied = await setTemplateStatus(
        store.db,
        { accountIds: [ACCOUNT.id], providerTemplateId: '900', name: DEF.name, language: DEF.language },
        { status: 'APPROVED', rejectedReason: null },
        Date.now(),
      );
      expect(applied).toEqual({ accountId: ACCOUNT.id, previous: 'PENDING' });
      return { ok: true, value: { providerTemplateId: '900', status: 'PENDING', category: 'UTILITY' } };
    };
    await pushTemplates(ctx, provider, ACCOUNT, input([DEF]), { dryRun: false });
    expect(await stored()).toMatchObject({ status: 'APPROVED', providerTemplateId: '900' });
  });

  it('removes the row it wrote when Meta refuses a create', async () => {
    const { provider } = scripted([]);
    provider.onCreate = async () => ({
      ok: false,
      error: {
        code: 100,
        httpStatus: 400,
        title: 'Content in this language already exists',
        details: 'The template already has content in es_AR. (error_subcode 2388024)',
      },
    });
    const report = await pushTemplates(ctx, provider, ACCOUNT, input([DEF]), { dryRun: false });
    expect(report.ok).toBe(false);
    expect(report.results[0]!.error).toMatchObject({
      code: 'PROVIDER_ERROR',
      message: 'Meta refused to create appointment_reminder (es_AR): Content in this language already exists',
      data: { meta_code: 100, meta_subcode: 2388024, http_status: 400 },
    });
    expect(report.results[0]!.error!.hint).toMatch(/templates diff/);
    expect(await stored()).toBeUndefined();
  });

  it('reports an edit refused by Meta’s edit limit clearly and restores the approved template', async () => {
    await upsertTemplate(
      store.db,
      {
        id: 'tpl_x',
        accountId: ACCOUNT.id,
        ...DEF,
        status: 'APPROVED',
        providerTemplateId: '777',
        rejectedReason: null,
        qualityScore: 'GREEN',
      },
      Date.now(),
    );
    const { provider, calls } = scripted([approvedAtMeta]);
    provider.onEdit = async () => ({
      ok: false,
      error: {
        code: 100,
        httpStatus: 400,
        title: 'Edit limit reached',
        details: 'This template was already edited in the last 24 hours.',
      },
    });
    const report = await pushTemplates(ctx, provider, ACCOUNT, input([EDITED]), { dryRun: false });
    expect(calls).toEqual(['list', 'edit 777']);
    const [result] = report.results;
    expect(result).toMatchObject({ action: 'update', outcome: 'failed', status: 'APPROVED' });
    expect(result!.error).toMatchObject({
      message: 'Meta refused to edit appointment_reminder (es_AR): Edit limit reached',
      details: [
        {
          path: 'appointment_reminder (es_AR)',
          message: 'This template was already edited in the last 24 hours.',
        },
      ],
      data: { provider_template_id: '777' },
    });
    expect(result!.error!.hint).toMatch(/once per 24 hours and 10 times per 30 days/);
    const row = await stored();
    expect(row).toMatchObject({ status: 'APPROVED', qualityScore: 'GREEN', providerTemplateId: '777' });
    expect(row!.components).toEqual(DEF.components);
  });

  it('stores an accepted edit as PENDING with the new components and keeps the quality rating', async () => {
    const { provider } = scripted([approvedAtMeta]);
    await upsertTemplate(
      store.db,
      {
        id: 'tpl_x',
        accountId: ACCOUNT.id,
        ...DEF,
        status: 'APPROVED',
        providerTemplateId: '777',
        rejectedReason: null,
        qualityScore: 'YELLOW',
      },
      Date.now(),
    );
    const report = await pushTemplates(ctx, provider, ACCOUNT, input([EDITED]), { dryRun: false });
    expect(report.summary).toMatchObject({ updated: 1, failed: 0 });
    const row = await stored();
    expect(row).toMatchObject({ status: 'PENDING', qualityScore: 'YELLOW', providerTemplateId: '777' });
    expect(row!.components).toEqual(EDITED.components);
  });

  it('calls nothing but the listing on a dry run', async () => {
    const { provider, calls } = scripted([approvedAtMeta]);
    const report = await pushTemplates(ctx, provider, ACCOUNT, input([EDITED, { ...DEF, name: 'nuevo' }]), {
      dryRun: true,
    });
    expect(calls).toEqual(['list']);
    expect(report.plan.counts).toMatchObject({ create: 1, update: 1 });
    expect(report.results).toEqual([]);
    expect(await stored()).toBeUndefined();
  });

  it("throws PROVIDER_ERROR naming the WABA when Meta's listing fails", async () => {
    const { provider } = scripted([]);
    provider.listTemplates = async () => ({
      ok: false,
      error: {
        code: 190,
        httpStatus: 401,
        title: 'Invalid OAuth access token',
        details: 'Session has expired',
      },
    });
    await expect(
      pushTemplates(ctx, provider, ACCOUNT, input([DEF]), { dryRun: false }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      message: 'Listing templates of WABA 2 failed: Invalid OAuth access token',
      details: [{ path: 'waba 2', message: 'Session has expired' }],
    });
  });
});
