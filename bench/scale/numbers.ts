/**
 * The scale-out bench's phone numbers, known to both sides: the sandbox process declares them
 * as Meta's numbers (with Meta's 1,000 msg/s throughput, enforced with 130429), and Recontact
 * reads them from a recontact.config.yaml, as a deployment declares its accounts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxAccount } from '../../src/sandbox/sandbox';
import { GRAPH } from '../recontact-env';

/** Meta's highest throughput tier for one number. */
export const NUMBER_MPS = 1_000;
export const APP_SECRET = 'scale-app-secret';

export interface BenchNumber {
  /** Recontact's account name, also the account_id the bench's sends name. */
  name: string;
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  displayPhoneNumber: string;
}

export function benchNumbers(count: number): BenchNumber[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `scale-${i + 1}`,
    phoneNumberId: String(110_000_000_000_001 + i),
    // One WABA for all: one business, one Meta app, several numbers.
    wabaId: '210000000000001',
    accessToken: `scale-token-${i + 1}`,
    displayPhoneNumber: `549110000${String(i + 1).padStart(4, '0')}`,
  }));
}

/** The sandbox's side of the numbers. */
export function sandboxAccounts(numbers: BenchNumber[], mps: number): SandboxAccount[] {
  return numbers.map((n) => ({
    phoneNumberId: n.phoneNumberId,
    wabaId: n.wabaId,
    accessToken: n.accessToken,
    appSecret: APP_SECRET,
    displayPhoneNumber: n.displayPhoneNumber,
    throughputMps: mps,
  }));
}

/** Writes the recontact.config.yaml every Recontact process of the bench reads; returns its path. */
export function writeAccountsFile(dir: string, numbers: BenchNumber[], sandboxUrl: string, mps: number) {
  const path = join(dir, 'recontact.config.yaml');
  const lines = ['accounts:'];
  for (const n of numbers) {
    lines.push(
      '  - channel: whatsapp',
      `    name: ${n.name}`,
      `    phone_number_id: "${n.phoneNumberId}"`,
      `    waba_id: "${n.wabaId}"`,
      `    access_token: ${n.accessToken}`,
      `    app_secret: ${APP_SECRET}`,
      `    verify_token: scale-verify-token`,
      `    throughput_mps: ${mps}`,
      `    base_url: ${sandboxUrl}`,
      `    graph_version: ${GRAPH}`,
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
