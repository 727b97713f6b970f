import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, it, expect } from 'vitest';
import { qualityStage } from '../../src/pipeline/stages/quality.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile, mediaDir } from '../helpers/media.js';

let server: TestServer;
beforeAll(async () => { server = await startTestServer({ segmentSeconds: 2 }, { stages: [qualityStage] }); });
afterAll(async () => { await server?.close(); });

const files = readdirSync(mediaDir).filter((f) => !f.startsWith('corrupt') && f !== 'SOURCES.md');
it('runs the quality stage on every corpus file', async () => {
  const out: string[] = [];
  for (const f of files) {
    const up = await uploadFile(server.baseUrl, corpusFile(f));
    const id = up.body.id;
    const last = (await followEvents(server.baseUrl, id)).at(-1)?.event;
    if (last !== 'ready') { out.push(`${f}: video ${last}`); continue; }
    const t = Date.now();
    await expect.poll(async () => {
      const s = (await (await fetch(`${server.baseUrl}/api/videos/${id}/stages`)).json()).stages.find((x: any) => x.name === 'quality');
      return s?.status === 'done' || s?.status === 'failed' ? s.status : 'pending';
    }, { timeout: 120_000, interval: 250 }).not.toBe('pending');
    const q = await (await fetch(`${server.baseUrl}/api/videos/${id}/quality`)).json();
    out.push(`${f}: ${Date.now() - t}ms score=${q.score} issues=${q.issues?.map((i: any) => i.code).join(',')} r=${q.renditions?.map((r: any) => `${r.name}:${r.width}x${r.height}:${r.frames}f:psnr${r.psnr?.mean}/ssim${r.ssim?.mean}`).join(' ')} err=${q.error?.message ?? ''} a=${JSON.stringify(q.source?.audio?.loudness ?? null)} sil=${q.source?.audio?.silence?.totalSec}`);
  }
  console.log(out.join('\n'));
}, 1_800_000);
