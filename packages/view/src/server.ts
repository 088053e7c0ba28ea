/**
 * The `vtx view` server: loopback only (127.0.0.1; requests naming another Host are refused, which also stops DNS
 * rebinding), read-only. Routes:
 *   GET /api/index                 runs, sweeps and ablations under the root            -> IndexResponse
 *   GET /api/run?id=<id>           a run's config, summary, metrics and sample URLs      -> RunDetail
 *   GET /api/sweep?id=<id>         a sweep's table, power-law fits, ablation verdict     -> SweepDetail
 *   GET /api/live?id=<id>&offset=N server-sent events: `metrics` (new records as the run trains, from byte N of
 *                                  metrics.jsonl) and `summary` (when summary.json appears)
 *   GET /files/<path>              a file under the root (sample GIFs, report charts)
 *   GET /*                         the built page (client/, Vite)
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { ensureClient } from './client-build.js';
import { parseMetrics } from '@vtx/runs';
import { completeLines, runDetail, sweepDetail } from './details.js';
import { readJson, scan } from './scan.js';

export interface ViewServerOptions {
  /** A run, a sweep, or any directory holding them. */
  root: string;
  /** 0 picks a free port. */
  port?: number;
  /** Poll interval of the live stream, ms. */
  pollMs?: number;
  log?: (msg: string) => void;
}

export interface ViewServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.mp4': 'video/mp4',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `rel` resolved inside `base`, or a 403 when it would escape it (`..`, absolute paths, symlinks out). */
async function inside(base: string, rel: string): Promise<string> {
  const p = resolve(base, rel);
  const real = await fs.realpath(p).catch(() => {
    throw new HttpError(404, `${rel}: not found`);
  });
  const realBase = await fs.realpath(base);
  if (real !== realBase && !real.startsWith(realBase + sep))
    throw new HttpError(403, `${rel}: outside the root`);
  return real;
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

async function sendFile(res: ServerResponse, path: string): Promise<void> {
  const st = await fs.stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new HttpError(404, 'not found');
  res.writeHead(200, {
    'content-type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'content-length': st.size,
    'cache-control': 'no-cache',
  });
  createReadStream(path).pipe(res);
}

/** Start the dashboard server for `root`; resolves once it listens. */
export async function startViewServer(opts: ViewServerOptions): Promise<ViewServer> {
  const root = resolve(opts.root);
  if (!(await fs.stat(root).catch(() => undefined))?.isDirectory())
    throw new Error(`${opts.root}: not a directory (give a run, a sweep, or a directory of runs)`);
  const client = await ensureClient(opts.log ? { log: opts.log } : {});
  const pollMs = opts.pollMs ?? 500;
  const fileUrl = (p: string) => `/files/${relative(root, p).split(sep).map(encodeURIComponent).join('/')}`;
  const streams = new Set<ServerResponse>();
  let port = 0;

  const dirOf = async (id: string | null) => {
    if (!id) throw new HttpError(400, 'missing ?id=');
    return inside(root, id);
  };

  async function live(req: IncomingMessage, res: ServerResponse, dir: string, start: number): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': live\n\n');
    streams.add(res);
    let offset = start;
    let summarised = (await fs.stat(join(dir, 'summary.json')).catch(() => undefined)) !== undefined;
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const st = await fs.stat(join(dir, 'metrics.jsonl')).catch(() => undefined);
        if (st && st.size < offset) offset = 0; // rewritten (a resumed run trims records past its checkpoint)
        if (st && st.size > offset) {
          const fh = await fs.open(join(dir, 'metrics.jsonl'), 'r');
          const buf = Buffer.alloc(st.size - offset);
          await fh.read(buf, 0, buf.length, offset);
          await fh.close();
          const { text, bytes } = completeLines(buf);
          if (bytes) {
            offset += bytes;
            res.write(`event: metrics\ndata: ${JSON.stringify({ offset, records: parseMetrics(text) })}\n\n`);
          }
        }
        if (!summarised) {
          const summary = await readJson(join(dir, 'summary.json'));
          if (summary) {
            summarised = true;
            res.write(`event: summary\ndata: ${JSON.stringify(summary)}\n\n`);
          }
        }
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick().catch(() => undefined), pollMs);
    req.on('close', () => {
      clearInterval(timer);
      streams.delete(res);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
      throw new HttpError(403, `host ${host} refused`);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} not allowed`);
    const url = new URL(req.url ?? '/', `http://${host}`);
    const id = url.searchParams.get('id');
    switch (url.pathname) {
      case '/api/index':
        return sendJson(res, await scan(root));
      case '/api/run':
        return sendJson(res, await runDetail(root, await dirOf(id), fileUrl));
      case '/api/sweep': {
        const index = await scan(root);
        const entry = index.sweeps.find((s) => s.id === id);
        if (!entry) throw new HttpError(404, `no sweep '${id}' under ${root}`);
        const runDirs = new Map(entry.runs.map((r) => [r, join(root, r)]));
        return sendJson(res, await sweepDetail(root, await dirOf(id), entry, runDirs));
      }
      case '/api/live':
        return live(req, res, await dirOf(id), Number(url.searchParams.get('offset') ?? 0));
    }
    if (url.pathname.startsWith('/files/')) {
      return sendFile(res, await inside(root, decodeURIComponent(url.pathname.slice('/files/'.length))));
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    return sendFile(res, await inside(client, rel));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(e instanceof Error ? e.message : String(e));
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of streams) s.end();
        server.close(() => ok());
      }),
  };
}
