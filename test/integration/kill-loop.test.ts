/**
 * kill -9 at random moments, in a loop: one data directory, one `streamforge serve` process per
 * round, killed mid tus upload, mid multipart upload, right after an upload is accepted, mid
 * transcode or mid packaging (the phase is read from the video's SSE progress, the moment within it
 * from a seeded PRNG), restarted, and resumed where a client would (tus HEAD → PATCH the rest; a
 * cut multipart upload is sent again). At the end every accepted upload is `ready` or `failed` with
 * a reason, exactly once, and nothing is left over: no blob outside a video's keys, no scratch, no
 * temp file, no ffmpeg. Replay a run with KILL_LOOP_SEED=<seed> (printed); docs/faults.md.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { authHeaders, sseEvents, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { createTusUpload, multipartBody, startPartialRequest, TUS_HEADERS, tusOffset, tusPatch } from '../helpers/partial-upload.js';
import { RESTART_TEST_ENV, restartableServer, waitUntil } from '../helpers/server-process.js';

const SEED = Number(process.env.KILL_LOOP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = Number(process.env.KILL_LOOP_ROUNDS ?? 20);
const SCENARIOS = ['tus-mid-upload', 'multipart-mid-upload', 'after-acceptance', 'mid-transcode', 'mid-packaging'] as const;
type Scenario = (typeof SCENARIOS)[number];

// A killed job is taken again quickly (a short backoff on top of the short lease).
const server = restartableServer({ dataDirPrefix: 'sf-killloop-', env: { ...RESTART_TEST_ENV, STREAMFORGE_JOB_BACKOFF_MS: '200', LOG_LEVEL: 'error' } });
const { dataDir } = server;
const blobsDir = path.join(dataDir, 'blobs');
const uploadsDir = path.join(dataDir, 'uploads');

afterAll(() => server.dispose());

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every file under `dir`, relative, dot-directories included. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe('kill -9 in a loop', () => {
  it(`every accepted upload ends ready or failed exactly once, nothing orphaned (seed ${SEED})`, async () => {
    console.log(`kill-loop: seed ${SEED}, ${ROUNDS} rounds (replay: KILL_LOOP_SEED=${SEED} npx vitest run test/integration/kill-loop.test.ts)`);
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const clips = [
      readFileSync(generatedClip({ seconds: 2, width: 426, height: 240, fps: 24 })),
      readFileSync(generatedClip({ seconds: 4, width: 426, height: 240, fps: 24 })),
    ];
    await server.start();
    const baseUrl = server.baseUrl;

    /** Video ids whose upload the client saw accepted (201, or the tus PATCH that completed it). */
    const accepted = new Set<string>();
    /** tus uploads a client still has to finish: resumed after every restart. */
    const unfinishedTus: Array<{ url: string; id: string; file: Buffer }> = [];
    const log: string[] = [];
    const startedAt = Date.now();

    const uploadMultipart = async (file: Buffer, title: string) => {
      const { body, contentType } = multipartBody({ fields: { title }, file, fileName: 'kill.mp4' });
      const res = await fetch(`${baseUrl}/api/videos`, { method: 'POST', headers: { ...authHeaders, 'Content-Type': contentType }, body: new Uint8Array(body) });
      const json = (await res.json()) as { id: string };
      expect(res.status).toBe(201);
      accepted.add(json.id);
      return json.id;
    };
    const uploadTus = async (file: Buffer, title: string) => {
      const { url, id } = await createTusUpload(baseUrl, { size: file.length, fileName: 'kill.mp4', title });
      const done = await tusPatch(url, 0, file);
      expect(done.status).toBe(204);
      expect(done.videoId).toBe(id);
      accepted.add(id);
      return id;
    };
    const resumeTus = async () => {
      for (const upload of unfinishedTus.splice(0)) {
        const offset = await tusOffset(upload.url);
        let videoId: string | null;
        if (offset < upload.file.length) {
          const done = await tusPatch(upload.url, offset, upload.file.subarray(offset));
          expect(done.status).toBe(204);
          videoId = done.videoId;
        } else {
          // Every byte arrived before the kill: the status request accepts it if nobody did.
          const status = await fetch(upload.url, { headers: authHeaders });
          videoId = ((await status.json()) as { videoId: string | null }).videoId;
        }
        expect(videoId).toBe(upload.id);
        accepted.add(upload.id);
      }
    };
    /** Follows the video's events until `stage` (or a later one) is reported; false if it ended first. */
    const reachStage = async (videoId: string, stage: 'transcoding' | 'packaging') => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 90_000);
      try {
        const res = await fetch(`${baseUrl}/api/videos/${videoId}/events`, { headers: authHeaders, signal: controller.signal });
        for await (const event of sseEvents(res.body!)) {
          if (event.event === 'progress' && (event.data.stage === stage || (stage === 'transcoding' && event.data.stage === 'packaging'))) return true;
          if (event.event === 'ready' || event.event === 'failed') return false;
        }
        return false;
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const roundStartedAt = Date.now();
      const scenario: Scenario = pick(SCENARIOS);
      const file = pick(clips);
      const title = `round ${round}`;
      let note = '';
      switch (scenario) {
        case 'tus-mid-upload': {
          const { url, id } = await createTusUpload(baseUrl, { size: file.length, fileName: 'kill.mp4', title });
          unfinishedTus.push({ url, id, file });
          const sendBytes = Math.floor(file.length * (0.1 + 0.8 * random()));
          startPartialRequest({
            url,
            method: 'PATCH',
            headers: { ...TUS_HEADERS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
            body: file,
            sendBytes,
          });
          const arrived = await waitUntil(() => existsSync(path.join(uploadsDir, id)) && statSync(path.join(uploadsDir, id)).size > 0, 5000);
          note = `${sendBytes}/${file.length} bytes sent${arrived ? '' : ', none stored yet'}`;
          break;
        }
        case 'multipart-mid-upload': {
          const { body, contentType } = multipartBody({ fields: { title }, file, fileName: 'kill.mp4' });
          const sendBytes = Math.floor(body.length * (0.1 + 0.8 * random()));
          const partial = startPartialRequest({ url: `${baseUrl}/api/videos`, method: 'POST', headers: { ...authHeaders, 'Content-Type': contentType }, body, sendBytes });
          const tmpDir = path.join(blobsDir, '.tmp');
          const arrived = await waitUntil(() => existsSync(tmpDir) && readdirSync(tmpDir).some((name) => statSync(path.join(tmpDir, name), { throwIfNoEntry: false })?.size), 5000);
          note = `${sendBytes}/${body.length} bytes sent${arrived ? ', spooling' : ', not spooling yet'}`;
          void partial.done; // ends with ECONNRESET when the server dies
          break;
        }
        case 'after-acceptance': {
          const via = random() < 0.5 ? 'tus' : 'multipart';
          await (via === 'tus' ? uploadTus(file, title) : uploadMultipart(file, title));
          const delayMs = Math.floor(random() * 50);
          await new Promise((r) => setTimeout(r, delayMs));
          note = `${via}, +${delayMs} ms`;
          break;
        }
        case 'mid-transcode':
        case 'mid-packaging': {
          const id = random() < 0.5 ? await uploadTus(file, title) : await uploadMultipart(file, title);
          const reached = await reachStage(id, scenario === 'mid-transcode' ? 'transcoding' : 'packaging');
          const delayMs = Math.floor(random() * (scenario === 'mid-transcode' ? 300 : 100));
          if (reached) await new Promise((r) => setTimeout(r, delayMs));
          note = reached ? `+${delayMs} ms into the stage` : 'ended before the stage (killed anyway)';
          break;
        }
      }
      await server.kill();
      expect(server.mediaProcesses()).toEqual([]);
      await server.start();
      await resumeTus();
      // A cut multipart upload is simply sent again, as a client would.
      if (scenario === 'multipart-mid-upload') await uploadMultipart(file, `${title} (again)`);
      log.push(`round ${round}: ${scenario} (${note}), ${((Date.now() - roundStartedAt) / 1000).toFixed(1)} s`);
      console.log(`kill-loop: ${log.at(-1)}`);
    }
    console.log(`kill-loop: ${ROUNDS} rounds done in ${Math.round((Date.now() - startedAt) / 1000)} s`);

    // Every video leaves processing, and every ladder job ends.
    const db = new Database(server.databasePath, { readonly: true });
    const videos = () => db.prepare('select id, status, error, output_prefix from videos').all() as Array<{ id: string; status: string; error: string | null; output_prefix: string | null }>;
    const openJobs = () => db.prepare("select count(*) as n from jobs where type = 'video.process' and status in ('queued', 'active')").get() as { n: number };
    const settled = await waitUntil(() => videos().every((v) => v.status !== 'processing') && openJobs().n === 0, 150_000);
    const rows = videos();
    const jobs = db.prepare("select payload_json, status, attempts, last_error from jobs where type = 'video.process'").all() as Array<{ payload_json: string; status: string; attempts: number }>;
    db.close();
    const failed = rows.filter((v) => v.status === 'failed').map((v) => `${v.id}: ${v.error}`);
    const attempts = jobs.map((job) => job.attempts).sort().join(',');
    console.log(`kill-loop: ${rows.length - failed.length} ready, ${failed.length} failed [${failed.join('; ')}], attempts ${attempts}, ${Math.round((Date.now() - startedAt) / 1000)} s`);
    expect(settled, JSON.stringify(rows.filter((v) => v.status === 'processing'))).toBe(true);

    // Exactly the accepted uploads became videos, each once, each in one terminal state with a reason.
    expect(rows.map((v) => v.id).sort()).toEqual([...accepted].sort());
    for (const video of rows) {
      expect(['ready', 'failed'], video.id).toContain(video.status);
      if (video.status === 'failed') expect(video.error, video.id).toMatch(/\S/);
    }
    const jobVideos = jobs.map((job) => (JSON.parse(job.payload_json) as { videoId: string }).videoId).sort();
    expect(jobVideos).toEqual([...accepted].sort());

    // Every tus upload is complete and marked with its one video.
    for (const name of readdirSync(uploadsDir).filter((n) => n.endsWith('.json'))) {
      const info = JSON.parse(readFileSync(path.join(uploadsDir, name), 'utf8')) as { id: string; size: number; metadata: Record<string, string> };
      expect(info.metadata.streamforgeVideoId).toBe(info.id);
      expect(statSync(path.join(uploadsDir, info.id)).size).toBe(info.size);
    }
    expect(readdirSync(uploadsDir).filter((n) => n.startsWith('.'))).toEqual([]);

    // Blobs only under the keys of existing videos: one original each, the winning version of a
    // ready video and nothing of a failed one; no temp files, no scratch.
    const byId = new Map(rows.map((v) => [v.id, v]));
    const orphans = filesUnder(blobsDir).filter((key) => {
      const [top, id, version] = key.split('/');
      const video = byId.get(id ?? '');
      if (top === 'originals') return !video;
      if (top === 'videos') return video?.status !== 'ready' || video.output_prefix !== `videos/${id}/${version}/`;
      return true; // .tmp/… and anything else
    });
    expect(orphans).toEqual([]);
    for (const video of rows) expect(existsSync(path.join(blobsDir, 'originals', video.id)), video.id).toBe(true);
    expect(filesUnder(path.join(dataDir, 'work'))).toEqual([]);
    expect(server.mediaProcesses()).toEqual([]);

    // And the last process stops cleanly.
    expect((await server.stop()).code).toBe(0);
  }, 600_000);
});
