import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_ACCOUNT, startSandboxServer } from './server';
import { call, reminder, type SendOk } from './test-support';

describe('startSandboxServer', () => {
  it('serves the default account with the seed templates', async () => {
    const sandbox = await startSandboxServer({
      port: 0,
      delays: { sentMs: 0, deliveredMs: 0, readMs: null },
    });
    try {
      expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const { phoneNumberId, wabaId, accessToken } = DEFAULT_SANDBOX_ACCOUNT;
      expect(phoneNumberId).toBe('100000000000001');
      expect(
        sandbox
          .templates(wabaId)
          .map((t) => `${t.name}/${t.language}/${t.status}`)
          .sort(),
      ).toEqual([
        'appointment_reminder/es_AR/APPROVED',
        'resume_conversation/es_AR/APPROVED',
        'taxi_discount/es_AR/APPROVED',
      ]);
      const res = await call<SendOk>(
        sandbox.url,
        'POST',
        `/v25.0/${phoneNumberId}/messages`,
        reminder(),
        accessToken,
      );
      expect(res.status).toBe(200);
      await sandbox.drainWebhooks();
      expect(sandbox.sent()[0]?.status).toBe('delivered');
    } finally {
      await sandbox.close();
    }
  });
});
