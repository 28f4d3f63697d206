import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxAccount } from '../embedded-sandbox';
import { isLoopbackPeer } from './control-route';
import { createSandbox, type Sandbox } from './sandbox';

// The control endpoints write as users and change templates without auth: when the sandbox
// listens on a container's or LAN's address, only this machine may call them.
describe('/_sandbox from other machines', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ accounts: [sandboxAccount()] });
  });
  afterAll(() => sandbox.close());

  it.each(['192.168.1.20', '10.0.0.7', '::ffff:172.17.0.2', '2001:db8::1'])(
    'refuses %s with 403',
    async (peer) => {
      const res = await sandbox.app.inject({ method: 'GET', url: '/_sandbox/health', remoteAddress: peer });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.message).toContain('loopback');
    },
  );

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1'])('answers %s', async (peer) => {
    const res = await sandbox.app.inject({ method: 'GET', url: '/_sandbox/health', remoteAddress: peer });
    expect(res.statusCode).toBe(200);
  });

  it('leaves the Graph API reachable from anywhere (it has its own token auth)', async () => {
    const res = await sandbox.app.inject({
      method: 'GET',
      url: `/v25.0/${sandboxAccount().wabaId}/message_templates`,
      remoteAddress: '192.168.1.20',
    });
    expect(res.statusCode).toBe(401);
  });

  it('classifies peers', () => {
    expect(isLoopbackPeer(undefined)).toBe(false);
    expect(isLoopbackPeer('127.8.9.10')).toBe(true);
    expect(isLoopbackPeer('::2')).toBe(false);
  });
});
