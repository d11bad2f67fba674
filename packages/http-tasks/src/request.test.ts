import { describe, expect, it } from 'vitest';
import { HttpArgumentError } from './errors.js';
import { buildRequest, type BuildOptions } from './request.js';

const OPTIONS: BuildOptions = { bodyEncoding: 'json', headers: {}, userAgent: 'ua', allowUrl: null };

describe('buildRequest', () => {
  it('GET and HEAD: keyword arguments into the query, replacing a parameter of the same name (Celery 3 query.update)', () => {
    const r = buildRequest('https://h.example/p?a=1&b=2', 'get', { b: 3, c: 'x y', d: null, e: { k: [1] } }, OPTIONS);
    expect(r.method).toBe('GET');
    expect(r.body).toBeNull();
    expect(r.url.search).toBe('?a=1&b=3&c=x+y&d=null&e=%7B%22k%22%3A%5B1%5D%7D');
    expect(buildRequest('https://h.example/p', 'HEAD', { q: 1 }, OPTIONS).url.search).toBe('?q=1');
  });

  it('other methods: a JSON body, or Celery 3\'s form with bodyEncoding form', () => {
    const json = buildRequest('https://h.example/p', 'POST', { a: 1, b: [true] }, OPTIONS);
    expect(json).toMatchObject({ method: 'POST', body: '{"a":1,"b":[true]}', headers: { 'content-type': 'application/json' } });
    const form = buildRequest('https://h.example/p', 'put', { a: 1, b: 'x&y' }, { ...OPTIONS, bodyEncoding: 'form' });
    expect(form).toMatchObject({ method: 'PUT', body: 'a=1&b=x%26y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  });

  it('moves URL credentials into a Basic authorization header', () => {
    const r = buildRequest('https://us%20er:p%40ss@h.example/p', 'GET', {}, { ...OPTIONS, headers: { 'x-k': 'v' } });
    expect(r.url.href).toBe('https://h.example/p');
    expect(r.headers).toMatchObject({ authorization: `Basic ${Buffer.from('us er:p@ss').toString('base64')}`, 'x-k': 'v', 'user-agent': 'ua' });
  });

  it('refuses what it cannot call, without showing secrets', () => {
    expect(() => buildRequest(undefined, 'GET', {}, OPTIONS)).toThrow(HttpArgumentError);
    expect(() => buildRequest('ftp://h.example/x', 'GET', {}, OPTIONS)).toThrow('only http: and https:');
    expect(() => buildRequest('https://h.example/x', 'TRACE', {}, OPTIONS)).toThrow('unsupported HTTP method');
    const refuse = { ...OPTIONS, allowUrl: (u: URL) => u.hostname === 'ok.example' };
    expect(() => buildRequest('https://u:pw-1@evil.example/x?token=t-2', 'GET', {}, refuse)).toThrow(/^the URL https:\/\/\*\*\*@evil\.example\/x\?token=\*\*\* is not allowed/);
    expect(buildRequest('https://ok.example/x', 'GET', {}, refuse).url.hostname).toBe('ok.example');
  });
});
