import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createBlogApp } from './support/blog-app.js';
import type { TestApp, TestPlatform } from './support/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
// As root, in a closed network: no sandbox, no GPU, no calls home.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ci = ['1', 'true'].includes(String(process.env.CI).toLowerCase());
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && ci) throw new Error(`CI=true but ${CHROMIUM} is missing: apt-get install -y chromium`);
if (!haveChromium)
  console.warn(`Skipping the browser tests: ${CHROMIUM} is not installed (apt-get install -y chromium).`);

const PLATFORMS: TestPlatform[] = ['express', 'fastify'];

const eachPlatform = haveChromium ? describe.each(PLATFORMS) : describe.skip.each(PLATFORMS);

eachPlatform('the blog demo in a real browser (Chromium) on %s', (platform) => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  // The Passport login stands on ExpressSessionMiddleware's `req.session`, which Fastify lacks.
  const screenshot = (name: string) => join(SCREENSHOTS, `${name}-${platform}.png`);

  beforeAll(async () => {
    t = await createBlogApp('sqlite', {}, {}, platform);
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function withPage(use: (page: Page, context: BrowserContext) => Promise<void>): Promise<void> {
    const context = await browser.newContext();
    try {
      await use(await context.newPage(), context);
    } finally {
      await context.close();
    }
  }

  const body = (page: Page) => page.locator('body').innerText();

  it('clicks through the cookie test from the home page: passed', async () => {
    await withPage(async (page) => {
      await page.goto(`${base}/`);
      await page.click('a[href="/test-session/"]');
      expect(await body(page)).toBe('Testing session cookie');
      await page.goBack();
      await page.click('a[href="/test-delete/"]');
      expect(await body(page)).toBe('Cookie test passed');
    });
  });

  it('clicks through save, read and delete from the home page', async () => {
    await withPage(async (page) => {
      const visit = async (path: string) => {
        await page.goto(`${base}/`);
        await page.click(`a[href="${path}"]`);
        return body(page);
      };
      expect(await visit('/save-session-data/')).toBe('Session Data Saved');
      const lines = (await visit('/access-session-data/'))
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      expect(lines).toEqual(['Id : 1', 'Name : root', 'Password : rootpass']);
      expect(await visit('/delete-session-data/')).toBe('Session Data cleared');
      expect(await visit('/access-session-data/')).toBe('No session data');
    });
  });

  it('with cookies blocked in the browser, the cookie test fails and a login says cookies are needed', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'nest-sessions-chromium-'));
    // Chromium's own setting "block all cookies", as a user would choose it.
    mkdirSync(join(profile, 'Default'));
    writeFileSync(
      join(profile, 'Default', 'Preferences'),
      JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }),
    );
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
    });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/test-session/`);
      expect(await body(page)).toBe('Testing session cookie');
      await page.goto(`${base}/test-delete/`);
      expect(await body(page)).toBe('Cookie test failed');
      // A login needs cookies: the form's answer says so, on a page with a way back.
      await page.goto(`${base}/lousy-login/`);
      await page.fill('input[name=username]', 'root');
      await page.fill('input[name=password]', 'pass');
      await page.click('input[type=submit]');
      await expect(page.locator('h1').innerText()).resolves.toBe('Cookies are needed');
      expect(await page.locator('a[href="/lousy-login/"]').count()).toBe(1);
      expect(await context.cookies(base)).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 60_000);

  it('logs in with a wrong then the right password, sees the secret, logs out', async () => {
    await withPage(async (page) => {
      await page.goto(`${base}/`);
      await page.click('a[href="/lousy-secret/"]');
      expect(new URL(page.url()).pathname).toBe('/lousy-login/');

      await page.fill('input[name=username]', 'root');
      await page.fill('input[name=password]', 'wrong');
      await page.click('input[type=submit]');
      await expect(page.locator('.error').innerText()).resolves.toBe('Error wrong username/password');
      await page.screenshot({ path: screenshot('login-error'), fullPage: true });

      await page.fill('input[name=username]', 'root');
      await page.fill('input[name=password]', 'pass');
      await page.click('input[type=submit]');
      expect(new URL(page.url()).pathname).toBe('/lousy-secret/');
      expect(await body(page)).toContain('This is a secret page');
      await page.screenshot({ path: screenshot('secret-page'), fullPage: true });

      await page.click('a[href="/lousy-logout/"]');
      expect(await body(page)).toContain('You have been logged out');
      await page.goto(`${base}/lousy-secret/`);
      expect(new URL(page.url()).pathname).toBe('/lousy-login/');
    });
  });

  it('logs in through Passport with a wrong then the right password, sees the profile, logs out', async () => {
    await withPage(async (page, context) => {
      const sessionKey = async () => (await context.cookies(base)).find((c) => c.name === 'sessionid')?.value;
      await page.goto(`${base}/`);
      await page.click('a[href="/passport/profile/"]');
      expect(new URL(page.url()).pathname).toBe('/passport/login/');

      await page.fill('input[name=username]', 'root');
      await page.fill('input[name=password]', 'wrong');
      await page.click('input[type=submit]');
      expect(new URL(page.url()).pathname).toBe('/passport/login/');
      await expect(page.locator('.error').innerText()).resolves.toBe('Error wrong username/password');
      const before = await sessionKey();
      await page.reload();
      expect(await page.locator('.error').count()).toBe(0);

      await page.fill('input[name=username]', 'root');
      await page.fill('input[name=password]', 'pass');
      await page.click('input[type=submit]');
      expect(new URL(page.url()).pathname).toBe('/passport/profile/');
      expect(await body(page)).toContain('Logged in as root');
      const loggedIn = await sessionKey();
      expect(loggedIn).toBeDefined();
      expect(loggedIn).not.toBe(before);
      await page.screenshot({ path: screenshot('passport-profile'), fullPage: true });

      await page.click('input[value="Log out"]');
      expect(new URL(page.url()).pathname).toBe('/passport/login/');
      expect(await body(page)).toContain('You have been logged out');
      expect(await sessionKey()).not.toBe(loggedIn);
      await page.goto(`${base}/passport/profile/`);
      expect(new URL(page.url()).pathname).toBe('/passport/login/');
    });
  });

  it('two browsers logged in as root: one ends the other on the sessions page', async () => {
    const laptop = await browser.newContext({ userAgent: 'Laptop browser' });
    const phone = await browser.newContext({ userAgent: 'Phone browser' });
    try {
      const logIn = async (context: BrowserContext) => {
        const page = await context.newPage();
        await page.goto(`${base}/lousy-login/`);
        await page.fill('input[name=username]', 'root');
        await page.fill('input[name=password]', 'pass');
        await page.click('input[type=submit]');
        expect(new URL(page.url()).pathname).toBe('/lousy-secret/');
        return page;
      };
      const mine = await logIn(laptop);
      const theirs = await logIn(phone);

      await mine.click('a[href="/sessions/"]');
      expect(new URL(mine.url()).pathname).toBe('/sessions/');
      const entries = mine.locator('li[data-session-id]');
      await expect(entries.count()).resolves.toBe(2);
      const current = mine.locator('li[data-current="true"]');
      await expect(current.innerText()).resolves.toContain('Laptop browser');
      const other = mine.locator('li[data-session-id]:not([data-current])');
      await expect(other.innerText()).resolves.toContain('Phone browser');
      await mine.screenshot({ path: screenshot('sessions-page'), fullPage: true });

      await other.locator('input[value="End this session"]').click();
      expect(new URL(mine.url()).pathname).toBe('/sessions/');
      await expect(mine.locator('li[data-session-id]').count()).resolves.toBe(1);

      await theirs.reload();
      expect(new URL(theirs.url()).pathname).toBe('/lousy-login/');
      await mine.goto(`${base}/lousy-secret/`);
      expect(await body(mine)).toContain('This is a secret page');
    } finally {
      await laptop.close();
      await phone.close();
    }
  });
});
