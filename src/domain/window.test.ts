import { describe, expect, it } from 'vitest';
import { isExpiringSoon, WHATSAPP_WINDOW, type WindowPolicy, windowState } from './window';

const HOUR = 60 * 60 * 1000;
const T0 = Date.UTC(2026, 2, 3, 10, 0, 0);

describe('windowState', () => {
  it('is closed with no expiry when the user never wrote', () => {
    expect(windowState(null, T0)).toEqual({
      open: false,
      expiresAt: null,
      lastInboundAt: null,
      remainingMs: 0,
    });
  });

  it('is open for 24 hours after the last inbound message', () => {
    const s = windowState(T0, T0 + 23 * HOUR);
    expect(s.open).toBe(true);
    expect(s.expiresAt).toBe(T0 + 24 * HOUR);
    expect(s.remainingMs).toBe(HOUR);
    expect(s.lastInboundAt).toBe(T0);
  });

  it('is open right after the inbound message', () => {
    expect(windowState(T0, T0)).toMatchObject({ open: true, remainingMs: 24 * HOUR });
  });

  it('is closed exactly at expiry', () => {
    const s = windowState(T0, T0 + 24 * HOUR);
    expect(s.open).toBe(false);
    expect(s.remainingMs).toBe(0);
    expect(s.expiresAt).toBe(T0 + 24 * HOUR);
  });

  it('is open one millisecond before expiry', () => {
    expect(windowState(T0, T0 + 24 * HOUR - 1)).toMatchObject({ open: true, remainingMs: 1 });
  });

  it('stays closed long after expiry and still reports when it closed', () => {
    expect(windowState(T0, T0 + 30 * 24 * HOUR)).toEqual({
      open: false,
      expiresAt: T0 + 24 * HOUR,
      lastInboundAt: T0,
      remainingMs: 0,
    });
  });

  it('uses the policy duration, so another channel can have its own window', () => {
    const sevenDays: WindowPolicy = { channel: 'messenger', durationMs: 7 * 24 * HOUR };
    expect(windowState(T0, T0 + 3 * 24 * HOUR, sevenDays).open).toBe(true);
    expect(windowState(T0, T0 + 3 * 24 * HOUR).open).toBe(false);
  });

  it('defaults to WhatsApp’s 24 hours', () => {
    expect(WHATSAPP_WINDOW).toEqual({ channel: 'whatsapp', durationMs: 24 * HOUR });
  });
});

describe('isExpiringSoon', () => {
  const state = windowState(T0, T0 + 22 * HOUR);

  it('is true inside the threshold before expiry', () => {
    expect(isExpiringSoon(state, T0 + 23 * HOUR, 2 * HOUR)).toBe(true);
    expect(isExpiringSoon(state, T0 + 22 * HOUR, 2 * HOUR)).toBe(true);
  });

  it('is false while more than the threshold remains', () => {
    expect(isExpiringSoon(state, T0 + 21 * HOUR, 2 * HOUR)).toBe(false);
  });

  it('is false once the window has closed', () => {
    expect(isExpiringSoon(state, T0 + 24 * HOUR, 2 * HOUR)).toBe(false);
  });

  it('is false for a user who never wrote', () => {
    expect(isExpiringSoon(windowState(null, T0), T0, 2 * HOUR)).toBe(false);
  });
});
