/**
 * Runs the sandbox beside Recontact when no Meta credentials are configured, and points the
 * default account at it through its base URL — the same code path as graph.facebook.com.
 */
import type { Config, WhatsAppAccountConfig } from './config';
import { createSandbox, type Sandbox, type SandboxAccount, type SandboxOptions } from './sandbox/sandbox';

export const SANDBOX_ACCOUNT = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  accessToken: 'sandbox-token',
  appSecret: 'sandbox-app-secret',
  verifyToken: 'sandbox-verify-token',
  displayPhoneNumber: '5491100000000',
} as const;

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
  /** Tells the sandbox where Recontact's webhook endpoint listens. */
  connect(recontactUrl: string): void;
}

export async function startEmbeddedSandbox(
  config: Pick<Config, 'host' | 'sandbox'>,
  overrides: Partial<SandboxOptions> = {},
): Promise<EmbeddedSandbox> {
  const sandbox = createSandbox({
    accounts: [sandboxAccount({ throughputMps: 0 })],
    delays: { sentMs: 200, deliveredMs: 600, readMs: 1500, templateReviewMs: 2000 },
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
    connect(recontactUrl: string) {
      sandbox.setWebhookUrl(
        SANDBOX_ACCOUNT.phoneNumberId,
        `${recontactUrl.replace(/\/$/, '')}/webhooks/whatsapp`,
      );
    },
  };
}
