import { launchChromium, serveApp } from './browser';
const t0 = performance.now();
const app = await serveApp();
const ctx = await launchChromium({ webgpu: true });
const page = await ctx.newPage();
await page.goto(app.url);
await page.getByTestId('model-info').waitFor({ timeout: 60000 });
await page.getByTestId('dataset-stats').waitFor({ timeout: 60000 });
console.log('weights menu:', (await page.getByTestId('setting-weights').locator('option').first().textContent()));
console.log('estimate:', await page.getByTestId('memory-estimate').textContent());
const start = performance.now();
await page.getByTestId('start-run').click();
for (;;) {
  const status = await page.getByTestId('run-status').getAttribute('data-status');
  if (status === 'done' || status === 'error') break;
  await page.waitForTimeout(2000);
}
console.log('run took', ((performance.now() - start) / 1000).toFixed(0), 's');
console.log('status:', await page.getByTestId('run-status').getAttribute('data-status'));
console.log('final:', await page.getByTestId('final-evaluation').textContent().catch(() => null));
console.log('memory tile:', await page.getByTestId('gpu-memory').textContent().catch(() => null));
await page.screenshot({ path: '/tmp/user-run.png', fullPage: true });
await ctx.close(); await app.close();
