// A local stand-in for the Hugging Face hub: serves model folders under its URL layout
// `/<org>/<name>/resolve/main/<file>` on 127.0.0.1, and counts the requests it answers.

import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface MockHub {
  url: string;
  requests: string[];
  close: () => Promise<void>;
}

/** `models` maps a model id (`org/name`) to a local folder. */
export async function startMockHub(models: Record<string, string>): Promise<MockHub> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    // The app's page lives on another port: allow it to read the files, as the real hub does.
    res.setHeader('Access-Control-Allow-Origin', '*');
    const match = /^\/(.+?)\/resolve\/main\/([^/?]+)$/.exec(req.url ?? '');
    const folder = match && models[decodeURIComponent(match[1])];
    const file = folder && join(folder, decodeURIComponent(match![2]));
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found');
      return;
    }
    // Streamed: a shard of a real-sized checkpoint is hundreds of megabytes.
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
