import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is static: one page plus a Web Worker that runs jobs. WGSL files are imported with `?raw`.
export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
