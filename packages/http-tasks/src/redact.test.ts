import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('drops credentials and the fragment and masks every query value, keeping the keys', () => {
    expect(redactUrl('https://user:pw@h.example:8443/a/b?token=t1&x=2#frag')).toBe('https://***@h.example:8443/a/b?token=***&x=***');
    expect(redactUrl('http://h.example/')).toBe('http://h.example/');
    expect(redactUrl(new URL('http://h.example/p?only'))).toBe('http://h.example/p?only=***');
    expect(redactUrl('not a url with secret')).toBe('<not a URL>');
  });
});
