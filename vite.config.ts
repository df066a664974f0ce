import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The built page's Content-Security-Policy. Scripts and styles come only from the app's own files:
 * the build emits no inline script, and React and recharts set styles through the CSSOM
 * (`element.style`), which style-src does not govern, so neither needs 'unsafe-inline'. Models are
 * fetched from the Hugging Face hub (huggingface.co, which redirects downloads to its CDN hosts
 * under huggingface.co and hf.co) or from a hub mirror on this machine. Images may also be data:
 * URLs (assets the build inlines) or blob: URLs, and workers blob: URLs (Vite's inlined workers).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co http://127.0.0.1:* http://localhost:*",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

/**
 * Puts the policy in a <meta> at the top of the built page's <head>, ahead of every script and
 * stylesheet it governs. Build only: the dev server injects an inline script (React refresh's
 * preamble) and talks to its HMR websocket, both of which the policy would refuse.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

// The app is static: one page plus a Web Worker that runs jobs. WGSL files are imported with `?raw`.
export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
