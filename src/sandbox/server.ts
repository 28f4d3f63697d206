/** `recontact sandbox`: one sandbox on a port, with a default account when none is given. */
import { createSandbox, type Sandbox, type SandboxAccount, type SandboxOptions } from './sandbox';

export const DEFAULT_SANDBOX_ACCOUNT: Readonly<SandboxAccount> = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  accessToken: 'sandbox-token',
  appSecret: 'sandbox-app-secret',
  displayPhoneNumber: '15550000001',
};

export const DEFAULT_SANDBOX_PORT = 4010;

export interface StartSandboxServerOptions extends Partial<SandboxOptions> {
  /** Default 4010; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Webhook URL for the default account (ignored when `accounts` is given). */
  webhookUrl?: string;
}

export async function startSandboxServer(opts: StartSandboxServerOptions = {}): Promise<Sandbox> {
  const { port = DEFAULT_SANDBOX_PORT, host = '127.0.0.1', webhookUrl, accounts, ...rest } = opts;
  const defaultAccount: SandboxAccount = { ...DEFAULT_SANDBOX_ACCOUNT };
  if (webhookUrl) defaultAccount.webhookUrl = webhookUrl;
  const sandbox = createSandbox({
    ...rest,
    accounts: accounts && accounts.length > 0 ? accounts : [defaultAccount],
  });
  await sandbox.listen(port, host);
  return sandbox;
}
