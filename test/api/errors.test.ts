import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.ts';
import { actionBody, expectApiError, expectJson } from '../helpers/api.ts';
import { GUEST_KEY, startTestServer, SYSTEM_KEY, type TestServer } from '../helpers/server.ts';

interface Case {
  label: string;
  method: string;
  path: string;
  body?: string;
  auth?: string | null;
  status: number;
}

const ACTION = '/api/v1/namespaces/_/actions/exists';

const CASES: Case[] = [
  { label: 'no credentials', method: 'GET', path: '/api/v1/namespaces/_/actions', auth: null, status: 401 },
  { label: 'a wrong key', method: 'GET', path: '/api/v1/namespaces/_/actions', auth: `${GUEST_KEY.split(':')[0]}:nope`, status: 401 },
  { label: 'another namespace', method: 'GET', path: '/api/v1/namespaces/whisk.system/actions', status: 403 },
  { label: 'an unknown top-level path', method: 'GET', path: '/nothing-here', auth: null, status: 404 },
  { label: 'an unknown API path', method: 'GET', path: '/api/v1/other', status: 404 },
  { label: 'an unknown collection', method: 'GET', path: '/api/v1/namespaces/_/things', status: 404 },
  { label: 'a missing action', method: 'GET', path: '/api/v1/namespaces/_/actions/missing', status: 404 },
  { label: 'too deep an action path', method: 'GET', path: '/api/v1/namespaces/_/actions/a/b/c', status: 404 },
  { label: 'an action in a missing package', method: 'PUT', path: '/api/v1/namespaces/_/actions/nopkg/a', body: JSON.stringify(actionBody('x')), status: 404 },
  { label: 'a missing activation', method: 'GET', path: `/api/v1/namespaces/_/activations/${'f'.repeat(32)}`, status: 404 },
  { label: 'PATCH on an action', method: 'PATCH', path: ACTION, body: '{}', status: 405 },
  { label: 'DELETE on /namespaces', method: 'DELETE', path: '/api/v1/namespaces', status: 405 },
  { label: 'POST on /api/v1', method: 'POST', path: '/api/v1', auth: null, status: 405 },
  { label: 'PUT without overwrite on an existing action', method: 'PUT', path: ACTION, body: JSON.stringify(actionBody('x')), status: 409 },
  { label: 'malformed JSON', method: 'PUT', path: '/api/v1/namespaces/_/actions/new', body: '{"exec":', status: 400 },
  { label: 'an unknown kind', method: 'PUT', path: '/api/v1/namespaces/_/actions/new', body: JSON.stringify({ exec: { kind: 'cobol', code: 'x' } }), status: 400 },
  { label: 'limits out of range', method: 'PUT', path: '/api/v1/namespaces/_/actions/new', body: JSON.stringify(actionBody('x', { limits: { memory: 4096 } })), status: 400 },
  { label: 'an invalid entity name', method: 'PUT', path: '/api/v1/namespaces/_/actions/bad%24name', body: JSON.stringify(actionBody('x')), status: 400 },
  { label: 'an invalid namespace name', method: 'GET', path: '/api/v1/namespaces/bad%24ns/actions', status: 400 },
  { label: 'malformed percent-encoding', method: 'GET', path: '/api/v1/namespaces/_/actions/%E0%A4%A', status: 400 },
  { label: 'a bad list limit', method: 'GET', path: '/api/v1/namespaces/_/actions?limit=1000', status: 400 },
  { label: 'docs with count', method: 'GET', path: '/api/v1/namespaces/_/activations?docs=true&count=true', status: 400 },
  { label: 'a malformed activation id', method: 'GET', path: '/api/v1/namespaces/_/activations/xyz', status: 400 },
  { label: 'a bad blocking timeout', method: 'POST', path: `${ACTION}?blocking=true&timeout=forever`, status: 400 },
  { label: 'an invoke payload that is not an object', method: 'POST', path: `${ACTION}?blocking=true`, body: '"text"', status: 400 },
];

describe('API errors', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await t.ow.actions.create({ name: 'exists', action: 'function main() { return {} }' });
  });
  afterAll(async () => t.close());

  it.each(CASES)('$label → $status {error, code}', async ({ method, path, body, auth, status }) => {
    const response = await t.request(method, path, body, { auth: auth === undefined ? GUEST_KEY : auth, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    const error = await expectApiError(response, status);
    expect(error.code).toMatch(/^[\w-]+$/);
  });

  it('the code is the request’s x-request-id when one is given', async () => {
    const error = await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/missing', undefined, { headers: { 'x-request-id': 'trace-42' } }), 404);
    expect(error.code).toBe('trace-42');
  });

  it('otherwise each error gets its own transaction id', async () => {
    const a = await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/missing'), 404);
    const b = await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/missing'), 404);
    expect(a.code).not.toBe(b.code);
  });

  it('messages are OpenWhisk’s for the fixed cases', async () => {
    expect((await expectApiError(await t.request('GET', '/api/v1/namespaces/_/actions/missing'), 404)).error).toBe(ERRORS.notFound.message);
    expect((await expectApiError(await t.request('GET', '/api/v1/namespaces', undefined, { auth: null }), 401)).error).toBe(ERRORS.unauthenticated.message);
    expect((await expectApiError(await t.request('GET', '/api/v1/namespaces/guest/actions', undefined, { auth: SYSTEM_KEY }), 403)).error).toBe(ERRORS.forbidden.message);
    expect(ERRORS.notFound.message).toBe('The requested resource does not exist.');
  });

  it('a request body over the limit → 413 {error, code}', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(1_300_000) });
    await expectApiError(await t.request('POST', `${ACTION}?blocking=true`, big), 413);
  });

  it('an invoke payload over 1 MB (but within the body limit) → 413 {error, code}', async () => {
    const payload = JSON.stringify({ blob: 'x'.repeat(1_060_000) });
    await expectApiError(await t.request('POST', `${ACTION}?blocking=true`, payload), 413);
  });

  it('the server still works after every error above', async () => {
    expect(await expectJson(await t.request('POST', `${ACTION}?blocking=true&result=true`, {}), 200)).toEqual({});
  });

  it('every error in the table has an HTTP error status and a message', () => {
    for (const { status, message } of Object.values(ERRORS)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(message.length).toBeGreaterThan(0);
    }
  });

  it('OPTIONS answers 200 with OpenWhisk’s CORS headers', async () => {
    const response = await t.request('OPTIONS', '/api/v1/namespaces/_/actions', undefined, { auth: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT, HEAD');
    expect(response.headers.get('access-control-allow-headers')).toBe('Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent');
  });

  it('error replies carry the CORS headers too', async () => {
    const response = await t.request('GET', '/api/v1/namespaces/_/actions/missing');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    await expectApiError(response, 404);
  });
});
