/**
 * Runs the sandbox beside Recontact when no Meta credentials are configured, and points the
 * default account at it through its base URL — the same code path as graph.facebook.com. The
 * sandbox also has one Messenger page, declared to Recontact as a second account
 * (`sandbox-page`), after the WhatsApp number so that number stays the first account.
 */
import type { Config, WhatsAppAccountConfig } from './config';
import {
  createSandbox,
  type Sandbox,
  type SandboxAccount,
  type SandboxOptions,
  type SandboxPage,
} from './sandbox/sandbox';

export const SANDBOX_ACCOUNT = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  accessToken: 'sandbox-token',
  appSecret: 'sandbox-app-secret',
  verifyToken: 'sandbox-verify-token',
  displayPhoneNumber: '5491100000000',
} as const;

/** The sandbox's Messenger page. Its app secret is the number's: one Meta app serves both. */
export const SANDBOX_PAGE = {
  pageId: '300000000000001',
  pageToken: 'sandbox-page-token',
  appSecret: SANDBOX_ACCOUNT.appSecret,
  verifyToken: 'sandbox-page-verify-token',
  name: 'SaludCenter (sandbox)',
  /** Recontact's name for the account. */
  accountName: 'sandbox-page',
} as const;

/** The sandbox's side of that page. */
export function sandboxPage(overrides: Partial<SandboxPage> = {}): SandboxPage {
  return {
    pageId: SANDBOX_PAGE.pageId,
    pageToken: SANDBOX_PAGE.pageToken,
    appSecret: SANDBOX_PAGE.appSecret,
    name: SANDBOX_PAGE.name,
    ...overrides,
  };
}

/**
 * The page as Recontact declares it (src/app.ts `declaredAccounts`): written at start like the
 * WHATSAPP_* account, with source 'env'.
 */
export interface EmbeddedPageAccount {
  id: string;
  name: string;
  channel: 'messenger';
  externalId: string;
  wabaId: null;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  baseUrl: string;
  graphVersion: string;
  throughputMps: number;
  source: 'env';
}

/** The sandbox's side of that account, for every place that starts a sandbox. */
export function sandboxAccount(overrides: Partial<SandboxAccount> = {}): SandboxAccount {
  return {
    phoneNumberId: SANDBOX_ACCOUNT.phoneNumberId,
    wabaId: SANDBOX_ACCOUNT.wabaId,
    accessToken: SANDBOX_ACCOUNT.accessToken,
    appSecret: SANDBOX_ACCOUNT.appSecret,
    displayPhoneNumber: SANDBOX_ACCOUNT.displayPhoneNumber,
    ...overrides,
  };
}

export interface EmbeddedSandbox {
  sandbox: Sandbox;
  whatsapp: WhatsAppAccountConfig;
  /** The sandbox page, for `createApp({declaredAccounts: [embedded.messenger]})`. */
  messenger: EmbeddedPageAccount;
  /** Tells the sandbox where Recontact's webhook endpoints listen (WhatsApp's and Messenger's). */
  connect(recontactUrl: string): void;
}

export async function startEmbeddedSandbox(
  config: Pick<Config, 'host' | 'sandbox'>,
  overrides: Partial<SandboxOptions> = {},
): Promise<EmbeddedSandbox> {
  const sandbox = createSandbox({
    accounts: [sandboxAccount({ throughputMps: 0 })],
    pages: [sandboxPage()],
    delays: { sentMs: 200, deliveredMs: 600, readMs: 1500, templateReviewMs: 2000 },
    retainMessages: config.sandbox.retainedMessages,
    ...overrides,
  });
  const url = await sandbox.listen(config.sandbox.port, config.host);
  return {
    sandbox,
    whatsapp: {
      phoneNumberId: SANDBOX_ACCOUNT.phoneNumberId,
      wabaId: SANDBOX_ACCOUNT.wabaId,
      accessToken: SANDBOX_ACCOUNT.accessToken,
      appSecret: SANDBOX_ACCOUNT.appSecret,
      verifyToken: SANDBOX_ACCOUNT.verifyToken,
      baseUrl: url,
      graphVersion: config.sandbox.graphVersion,
      throughputMps: config.sandbox.throughputMps,
    },
    messenger: {
      id: 'acc_sandbox_page',
      name: SANDBOX_PAGE.accountName,
      channel: 'messenger',
      externalId: SANDBOX_PAGE.pageId,
      wabaId: null,
      accessToken: SANDBOX_PAGE.pageToken,
      appSecret: SANDBOX_PAGE.appSecret,
      verifyToken: SANDBOX_PAGE.verifyToken,
      baseUrl: url,
      graphVersion: config.sandbox.graphVersion,
      // Meta's high-volume rule: a page beyond ~40 messages/s stops showing new messages (§6).
      throughputMps: Math.min(40, config.sandbox.throughputMps),
      source: 'env',
    },
    connect(recontactUrl: string) {
      const base = recontactUrl.replace(/\/$/, '');
      sandbox.setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, `${base}/webhooks/whatsapp`);
      for (const page of sandbox.messenger.pages())
        sandbox.setWebhookUrl(page.id, `${base}/webhooks/messenger`);
    },
  };
}
