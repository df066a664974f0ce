// The built page carries its Content-Security-Policy, and the app lives within it: loading the
// built-in model and sample data, running the GPU self-test (in the page and in the worker) and
// downloading a model from a hub mirror on this machine cause no violation. A deliberate inline
// script shows the policy is in force and that violations would have been seen.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../vite.config';
import { launchChromium, serveApp } from './browser';
import { startMockHub, type MockHub } from './hub-server';

let app: Awaited<ReturnType<typeof serveApp>>;
let hub: MockHub;

beforeAll(async () => {
  app = await serveApp();
  hub = await startMockHub({ 'test-org/tiny-smollm2': join(import.meta.dirname, '..', 'test', 'fixtures', 'smollm2') });
});

afterAll(async () => {
  await app?.close();
  await hub?.close();
});

/** Violations as the page reports them, from before its first script runs, and CSP errors in any console. */
async function watchViolations(context: BrowserContext): Promise<{ violations: string[]; consoleErrors: string[] }> {
  const violations: string[] = [];
  const consoleErrors: string[] = [];
  await context.exposeBinding('reportCspViolation', (_source, line: string) => {
    violations.push(line);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { reportCspViolation: (line: string) => void }).reportCspViolation;
      report(`${event.effectiveDirective} refused ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  const isCsp = (text: string) => /Content[ -]Security[ -]Policy/i.test(text);
  context.on('console', (message) => {
    if (isCsp(message.text())) consoleErrors.push(message.text());
  });
  context.on('page', (page) => {
    page.on('worker', (worker) => worker.on('console', (message) => isCsp(message.text()) && consoleErrors.push(`worker: ${message.text()}`)));
  });
  return { violations, consoleErrors };
}

async function waitForStatus(page: Page, testId: string): Promise<string | null> {
  await page.waitForFunction(
    (id) => {
      const status = document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-status');
      return status === 'passed' || status === 'failed';
    },
    testId,
    { timeout: 120_000 },
  );
  return page.getByTestId(testId).getAttribute('data-status');
}

describe('the content security policy', () => {
  it('is in the built page, and loading the built-in model and the GPU self-test violate none of it', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { violations, consoleErrors } = await watchViolations(context);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(app.url);

      const meta = page.locator('meta[http-equiv="Content-Security-Policy"]');
      expect(await meta.count()).toBe(1);
      expect(await meta.getAttribute('content')).toBe(CONTENT_SECURITY_POLICY);
      // A policy in a <meta> covers only what comes after it: it must precede every script and stylesheet.
      const policyFirst = await page.evaluate(() => {
        const first = document.querySelector('script, link[rel="stylesheet"]');
        const policy = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
        return !!first && !!policy && (policy.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
      });
      expect(policyFirst).toBe(true);
      console.log(`Content-Security-Policy: ${await meta.getAttribute('content')}`);

      // The built-in model and the sample dataset load from the app's own origin.
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });

      await page.locator('details.gpu-details summary').click();
      await page.getByTestId('run-self-test').click();
      expect(await waitForStatus(page, 'self-test-page')).toBe('passed');
      expect(await waitForStatus(page, 'self-test-worker')).toBe('passed');

      expect(violations).toEqual([]);
      expect(consoleErrors).toEqual([]);
      expect(pageErrors).toEqual([]);

      // The policy is enforced, and the listener hears it: an inline script is refused.
      const ran = await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineScriptRan = true;';
        document.body.append(script);
        return (window as unknown as { inlineScriptRan?: boolean }).inlineScriptRan === true;
      });
      expect(ran).toBe(false);
      await expect.poll(() => violations.length).toBeGreaterThan(0);
      expect(violations[0]).toMatch(/^script-src-elem refused inline/);
    } finally {
      await context.close();
    }
  });

  it('lets the app download a model from a hub mirror on 127.0.0.1', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { violations, consoleErrors } = await watchViolations(context);
      const page = await context.newPage();
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByRole('tab', { name: 'Hugging Face' }).click();
      await page.getByTestId('hub-url').fill(hub.url);
      await page.getByTestId('hub-model-id').fill('test-org/tiny-smollm2');
      await page.getByTestId('hub-load').click();
      await page.getByText('test-org/tiny-smollm2').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-cache').textContent()).toBe('downloaded');
      expect(hub.requests.length).toBeGreaterThanOrEqual(3);
      expect(violations).toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
