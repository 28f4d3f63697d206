import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('removes the user name and password', () => {
    expect(redactUrl('https://bot:s3cret@bot.example/hooks/recontact')).toBe(
      'https://bot.example/hooks/recontact',
    );
    expect(redactUrl('https://only-user@bot.example:8443/x')).toBe('https://bot.example:8443/x');
  });

  it('masks every query value and keeps the names', () => {
    expect(redactUrl('https://bot.example/in?token=abc123&tenant=42&flag&empty=')).toBe(
      'https://bot.example/in?token=***&tenant=***&flag&empty=***',
    );
    expect(redactUrl('https://u:p@bot.example/in?sig=a%3Db#frag')).toBe('https://bot.example/in?sig=***#***');
  });

  it('leaves a URL without secrets as it was', () => {
    expect(redactUrl('http://127.0.0.1:3000/events')).toBe('http://127.0.0.1:3000/events');
    expect(redactUrl('https://bot.example')).toBe('https://bot.example/');
  });

  it('still redacts what the URL parser refuses', () => {
    expect(redactUrl('bot:pw@bot.example/x?k=v')).toBe('bot.example/x?k=***');
    expect(redactUrl('weird://user:pw@[bad/path?key=value#f')).toBe('weird://[bad/path?key=***#***');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
