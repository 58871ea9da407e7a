/**
 * Web actions in a real browser (headless Chromium driven by playwright-core): an .html action
 * serves a page on Adobe's namespace host; its script POSTs JSON cross-origin to a .json action
 * (so the browser's CORS preflight must pass), and its form POSTs urlencoded fields to an .http
 * action that answers a page. The screenshot lands in test-artifacts/web-browser.png.
 *
 * Needs Debian's chromium (`apt-get install -y chromium`); without /usr/bin/chromium it is skipped.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectJson, type Json } from '../helpers/api.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/web/browser.test.ts skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);

const SCREENSHOT = 'test-artifacts/web-browser.png';

const PAGE = `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <title>edgewhisk web actions</title>
  <style>
    body { font-family: sans-serif; margin: 24px; color: #222; }
    pre { background: #eef3ff; padding: 8px 12px; border-radius: 4px; }
    iframe { width: 100%; height: 110px; border: 1px solid #99a; border-radius: 4px; }
    input { font-size: 16px; padding: 4px; }
  </style>
</head>
<body>
  <h1>edgewhisk web actions</h1>
  <p>This page is the result of <code>page.html</code>, served from <code id="host"></code>.</p>
  <h2>fetch → data.json (cross-origin)</h2>
  <pre id="result">loading…</pre>
  <h2>form → greet.http</h2>
  <form id="form" method="post" action="/api/v1/web/default/greet.http" target="answer">
    <input id="name" name="name" placeholder="your name">
    <button id="send" type="submit">Send</button>
  </form>
  <iframe id="answer" name="answer"></iframe>
  <script>
    document.getElementById('host').textContent = location.host;
    fetch('http://127.0.0.1:' + location.port + '/api/v1/web/guest/default/data.json', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ who: 'browser' }),
    })
      .then((response) => response.json())
      .then((data) => { document.getElementById('result').textContent = JSON.stringify(data); })
      .catch((error) => { document.getElementById('result').textContent = 'failed: ' + error; });
  </script>
</body>
</html>`;

const DATA = `function main(params) {
  return { message: 'Hello, ' + params.who + '!', method: params.__ow_method, origin: params.__ow_headers.origin };
}`;

const GREET = `function main(params) {
  const escape = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/html' },
    body: '<!doctype html><html><body style="font-family: sans-serif">' +
      '<h2 id="greeting">Hello, ' + escape(params.name) + '!</h2>' +
      '<p id="how">' + escape(params.__ow_method) + ' ' + escape(params.__ow_headers['content-type']) + '</p></body></html>',
  };
}`;

describe.skipIf(!hasChromium)('web actions in a browser', () => {
  let t: TestServer;
  let context: BrowserContext;
  let profile: string;

  const create = async (name: string, code: string): Promise<void> => {
    await t.ow.actions.create({
      name,
      action: { exec: { kind: 'nodejs:default', code }, annotations: [{ key: 'web-export', value: true }] },
    });
  };

  beforeAll(async () => {
    t = await startTestServer({ 'web-base-domain': 'example.test' });
    await create('page', `function main() { return { html: ${JSON.stringify(PAGE)} } }`);
    await create('data', DATA);
    await create('greet', GREET);
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'edgewhisk-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 900, height: 640 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // The namespace host of Adobe's URL form, without touching /etc/hosts.
        '--host-resolver-rules=MAP *.example.test 127.0.0.1',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  it('shows the fetched .json result and the .http answer to the form', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    const origin = `http://guest.example.test:${t.server.port}`;

    const response = await page.goto(`${origin}/api/v1/web/default/page.html`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=UTF-8');
    expect(await page.title()).toBe('edgewhisk web actions');
    expect(await page.locator('#host').textContent()).toBe(`guest.example.test:${t.server.port}`);

    // The script's cross-origin JSON POST needs the platform's CORS preflight answer.
    await page.waitForFunction("document.getElementById('result').textContent !== 'loading…'");
    const shown = JSON.parse((await page.locator('#result').textContent()) ?? '') as Json;
    expect(shown).toEqual({ message: 'Hello, browser!', method: 'post', origin });

    await page.fill('#name', 'Ada <Lovelace>');
    await page.click('#send');
    const answer = page.frameLocator('#answer');
    expect(await answer.locator('#greeting').textContent()).toBe('Hello, Ada <Lovelace>!');
    expect(await answer.locator('#how').textContent()).toBe('post application/x-www-form-urlencoded');

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(errors).toEqual([]);

    // Each of the three web calls left its activation record.
    const records = await expectJson<Json[]>(await t.request('GET', '/api/v1/namespaces/_/activations?limit=10'), 200);
    expect(records.map((r) => r.name).sort()).toEqual(['data', 'greet', 'page']);
  }, 60_000);
});
