// Lets Node load TensorFlow.js from its per-file ES modules (dist/*.js, what Vite bundles for the
// page) instead of its CommonJS bundles, which leave out the gradient registrations that
// tf.variableGrads needs (`@tensorflow/tfjs-core/dist/register_all_gradients` exists only as ES
// modules). Those files use extensionless relative imports and sit in packages without
// "type": "module", so this hook adds the `.js` and loads them as modules. One copy of tfjs-core
// is loaded, from its ES modules (Vite, for the page, and Vitest resolve them by themselves).
// Used as `node --import tsx --import ./scripts/raw-import.mjs --import ./bench/tfjs-esm.mjs`.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
const PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-cpu'];
const isFile = (url) => { const p = fileURLToPath(url); return existsSync(p) && statSync(p).isFile(); };
const inTfjs = (url) => typeof url === 'string' && url.includes('/node_modules/@tensorflow/') && url.includes('/dist/');
export async function resolve(specifier, context, next) {
  const pkg = PACKAGES.find((p) => specifier === p || specifier.startsWith(p + '/'));
  if (pkg) {
    const root = createRequire(context.parentURL ?? import.meta.url).resolve(pkg + '/package.json').slice(0, -'package.json'.length);
    const sub = specifier === pkg ? 'dist/index.js' : specifier.slice(pkg.length + 1);
    const url = pathToFileURL(root + sub).href;
    return { url: isFile(url) ? url : url + '.js', shortCircuit: true };
  }
  if (inTfjs(context.parentURL) && (specifier.startsWith('./') || specifier.startsWith('../')) && !specifier.endsWith('.js')) {
    const url = new URL(specifier + '.js', context.parentURL);
    return { url: isFile(url) ? url.href : new URL(specifier + '/index.js', context.parentURL).href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!(inTfjs(url) && url.endsWith('.js'))) return next(url, context);
  // platform_node.js calls require('util'), which ES modules do not have.
  const loaded = await next(url, { ...context, format: 'module' });
  const prefix = "import { createRequire as __tfjsRequire } from 'node:module'; const require = __tfjsRequire(import.meta.url);";
  return { format: 'module', source: prefix + String(loaded.source), shortCircuit: true };
}
`),
);
