/** The `streamforge` command as a user runs it (compiled build, real ffmpeg, real SQLite). */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusFile, repoRoot } from '../helpers/media.js';

const exec = promisify(execFile);
const bin = path.join(repoRoot, 'bin', 'streamforge.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'sf-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  return exec(process.execPath, [bin, ...args], {
    env: { ...process.env, STREAMFORGE_DATA_DIR: dataDir, STREAMFORGE_SEGMENT_SECONDS: '2', ...env },
    timeout: 90_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('streamforge CLI', () => {
  it('migrate applies the schema once', async () => {
    const first = await run(['migrate']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied: 0001-initial/);
    expect((await run(['migrate'])).stdout).toMatch(/up to date/);
  });

  it('ingest FILE processes a local file and prints where its manifests are', async () => {
    const { code, stdout } = await run(['ingest', corpusFile('portrait_coded_720x1080__androidx_sample_portrait.mp4')]);
    expect(code).toBe(0);
    const hls = /HLS\s+(\S+master\.m3u8)/.exec(stdout)?.[1];
    const dash = /DASH\s+(\S+manifest\.mpd)/.exec(stdout)?.[1];
    expect(hls && existsSync(hls)).toBe(true);
    expect(dash && existsSync(dash)).toBe(true);
    expect(stdout).toMatch(/\/stream\/[0-9A-Za-z]{12}\/[0-9a-z]+\/master\.m3u8/);
  });

  it('ingest --json prints the video record; a non-media file fails with its reason and exit code 1', async () => {
    const { code, stdout } = await run(['ingest', '--json', path.join(repoRoot, 'package.json')]);
    expect(code).toBe(1);
    const video = JSON.parse(stdout);
    expect(video.status).toBe('failed');
    expect(video.error.length).toBeGreaterThan(10);
  });

  it('refuses a bad setting, naming it, with exit code 2', async () => {
    const { code, stderr } = await run(['serve'], { PORT: 'eighty' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORT \(port\)/);
  });

  it('refuses to serve without ffmpeg and says how to install it', async () => {
    const { code, stderr } = await run(['serve'], { FFMPEG_PATH: '/nonexistent/ffmpeg', PORT: '0' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/FFMPEG_PATH.*apt-get install -y ffmpeg/s);
  });

  it('prints usage for an unknown command', async () => {
    const { code, stderr } = await run(['transmogrify']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command "transmogrify"/);
    expect(stderr).toMatch(/usage: streamforge/);
  });
});
