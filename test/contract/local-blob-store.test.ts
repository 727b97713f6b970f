/** LocalBlobStore: the BlobStore contract, plus what only a disk store promises (paths, .tmp, pruning). */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { blobStoreContract, stalledStream } from './blob-store-contract.js';

blobStoreContract('LocalBlobStore', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'sf-blobs-'));
  return {
    store: new LocalBlobStore({ root }),
    close: () => rm(root, { recursive: true, force: true }),
  };
});

describe('LocalBlobStore on disk', () => {
  let root: string;
  let store: LocalBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sf-blobs-'));
    store = new LocalBlobStore({ root });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const tmpEntries = async () => readdir(path.join(root, '.tmp')).catch(() => []);

  it('maps a key to the file under the root', async () => {
    await store.putBytes('videos/v1/seg_00001.m4s', 'segment');
    const file = store.localPath('videos/v1/seg_00001.m4s');
    expect(file).toBe(path.join(root, 'videos', 'v1', 'seg_00001.m4s'));
    expect(await readFile(file, 'utf8')).toBe('segment');
  });

  it('leaves no temporary files behind, after success or failure', async () => {
    await store.putBytes('a', 'x');
    await store.putStream('b', PassThrough.from(['y']));
    const failing = new PassThrough();
    const put = store.putStream('c', failing);
    failing.write('partial');
    failing.destroy(new Error('gone'));
    await expect(put).rejects.toThrow('gone');
    expect(await tmpEntries()).toEqual([]);
    expect(await store.list('')).toEqual(['a', 'b']);
  });

  it('keeps the temporary directory out of listings and prefix deletes', async () => {
    const stalled = stalledStream(Buffer.from('half'));
    const put = store.putStream('late', stalled.stream);
    await stalled.firstChunkTaken;
    // The temporary file is opened asynchronously alongside the first write.
    await vi.waitFor(async () => expect(await tmpEntries()).toHaveLength(1));
    expect(await store.list('')).toEqual([]);
    expect(await store.deletePrefix('')).toBe(0);
    stalled.finish(Buffer.from('-done'));
    await put;
    expect(await store.getBytes('late')).toEqual(Buffer.from('half-done'));
  });

  it('prunes directories that deletes leave empty, but never the root', async () => {
    await store.putBytes('videos/v1/1/v0/seg.m4s', 'x');
    await store.putBytes('videos/v2/keep', 'x');
    await store.delete('videos/v1/1/v0/seg.m4s');
    await expect(stat(path.join(root, 'videos', 'v1'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(path.join(root, 'videos', 'v2'))).isDirectory()).toBe(true);
    await store.deletePrefix('videos/');
    await expect(stat(path.join(root, 'videos'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('works on a root that does not exist yet', async () => {
    const nested = new LocalBlobStore({ root: path.join(root, 'not', 'yet') });
    expect(await nested.list('')).toEqual([]);
    expect(await nested.stat('x')).toBeNull();
    await nested.putBytes('x', 'y');
    expect(await nested.getBytes('x')).toEqual(Buffer.from('y'));
  });
});
