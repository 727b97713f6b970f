/**
 * Every behaviour the BlobStore interface (src/storage/blob-store.ts) promises, as one suite that
 * each driver's test file runs against its own factory: bytes, streams, ranges, listing, deletion,
 * key validation, and atomicity (a reader sees no object or the whole object, never a part).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, InvalidBlobKeyError, type BlobStore } from '../../src/storage/blob-store.js';

export interface BlobStoreHarness {
  /** An empty store. */
  store: BlobStore;
  close(): Promise<void>;
}

const INVALID_KEYS = ['', '../x', 'a/../b', './a', 'a/.', '/abs', 'a//b', 'a/', '%2e%2e', 'a/%2e%2e/b', 'a\\b', '.hidden', 'a b', 'é'];
const INVALID_PREFIXES = ['a', '../', '/abs/', 'a//', '%2e%2e/', './'];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * A stream that gives its first chunk, then holds back until `finish()`; `firstChunkTaken` resolves
 * when the consumer has taken the first chunk and asks for more, i.e. the write is under way.
 */
export function stalledStream(first: Buffer): { stream: Readable; firstChunkTaken: Promise<void>; finish(rest: Buffer): void } {
  let reads = 0;
  let taken!: () => void;
  const firstChunkTaken = new Promise<void>((resolve) => (taken = resolve));
  const stream = new Readable({
    // A tiny buffer, so read() is asked again only once the consumer has drained the first chunk.
    highWaterMark: 1,
    read() {
      reads += 1;
      if (reads === 1) this.push(first);
      else taken();
    },
  });
  return {
    stream,
    firstChunkTaken,
    finish(rest) {
      stream.push(rest);
      stream.push(null);
    },
  };
}

export function blobStoreContract(name: string, factory: () => Promise<BlobStoreHarness>): void {
  describe(`${name} — BlobStore contract`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;
    let scratch: string;

    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
      scratch = await mkdtemp(path.join(tmpdir(), 'sf-blob-scratch-'));
    });
    afterEach(async () => {
      await harness.close();
      await rm(scratch, { recursive: true, force: true });
    });

    describe('put and get', () => {
      it('round-trips bytes and UTF-8 strings', async () => {
        const data = randomBytes(64 * 1024);
        await store.putBytes('videos/v1/a.bin', data);
        await store.putBytes('videos/v1/master.m3u8', '#EXTM3U\n# ünïcödé\n');
        expect((await store.getBytes('videos/v1/a.bin')).equals(data)).toBe(true);
        expect((await store.getBytes('videos/v1/master.m3u8')).toString('utf8')).toBe('#EXTM3U\n# ünïcödé\n');
      });

      it('stores empty objects', async () => {
        await store.putBytes('empty', Buffer.alloc(0));
        expect((await store.getBytes('empty')).length).toBe(0);
        expect(await store.stat('empty')).toMatchObject({ size: 0 });
      });

      it('replaces an existing object', async () => {
        await store.putBytes('k', 'first version, longer');
        await store.putBytes('k', 'second');
        expect((await store.getBytes('k')).toString()).toBe('second');
      });

      it('stores a local file and leaves the file in place', async () => {
        const file = path.join(scratch, 'source.mp4');
        const data = randomBytes(300_000);
        await writeFile(file, data);
        await store.putFile('uploads/u1/original', file);
        expect((await store.getBytes('uploads/u1/original')).equals(data)).toBe(true);
        expect((await readFile(file)).equals(data)).toBe(true);
      });

      it('rejects putFile of a missing file and stores nothing', async () => {
        await expect(store.putFile('k', path.join(scratch, 'missing'))).rejects.toThrow();
        expect(await store.stat('k')).toBeNull();
      });

      it('stores a stream and reports its byte count', async () => {
        const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(1)];
        const result = await store.putStream('s/x.m4s', Readable.from(parts));
        expect(result).toEqual({ bytes: 71_001 });
        expect((await store.getBytes('s/x.m4s')).equals(Buffer.concat(parts))).toBe(true);
      });

      it('throws BlobNotFoundError for a missing object, also where a prefix of that name exists', async () => {
        await store.putBytes('dir/child', 'x');
        for (const key of ['missing', 'dir', 'dir/child/deeper']) {
          const error = await store.getBytes(key).catch((err: unknown) => err);
          expect(error).toBeInstanceOf(BlobNotFoundError);
          expect((error as BlobNotFoundError).key).toBe(key);
          await expect(store.createReadStream(key)).rejects.toBeInstanceOf(BlobNotFoundError);
        }
      });
    });

    describe('stat', () => {
      it('gives size and modification time of an object, null when absent', async () => {
        const before = Date.now();
        await store.putBytes('a/b', Buffer.alloc(1234, 7));
        const stat = await store.stat('a/b');
        expect(stat?.size).toBe(1234);
        // Allow for coarse file-system clocks.
        expect(stat!.mtimeMs).toBeGreaterThan(before - 5_000);
        expect(stat!.mtimeMs).toBeLessThan(Date.now() + 5_000);
        expect(await store.stat('a/missing')).toBeNull();
        expect(await store.stat('a')).toBeNull();
      });
    });

    describe('read streams and ranges', () => {
      const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

      beforeEach(async () => {
        await store.putBytes('r/seg.m4s', data);
      });

      it('streams the whole object', async () => {
        expect((await readAll(await store.createReadStream('r/seg.m4s'))).equals(data)).toBe(true);
      });

      it('streams inclusive byte ranges', async () => {
        const range = async (start: number, end: number) => readAll(await store.createReadStream('r/seg.m4s', { start, end }));
        expect((await range(0, 0)).equals(data.subarray(0, 1))).toBe(true);
        expect((await range(10, 19)).equals(data.subarray(10, 20))).toBe(true);
        expect((await range(500, 999)).equals(data.subarray(500))).toBe(true);
        expect((await range(999, 999)).equals(data.subarray(999))).toBe(true);
        expect((await range(0, 999)).equals(data)).toBe(true);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        for (const key of ['b/2', 'a/z', 'a/b/c', 'a/a', 'ab/x', 'top', 'a/B']) await store.putBytes(key, key);
      });

      it('lists every key under a prefix, sorted by byte order', async () => {
        expect(await store.list('a/')).toEqual(['a/B', 'a/a', 'a/b/c', 'a/z']);
        expect(await store.list('a/b/')).toEqual(['a/b/c']);
        expect(await store.list('')).toEqual(['a/B', 'a/a', 'a/b/c', 'a/z', 'ab/x', 'b/2', 'top']);
      });

      it('lists nothing under a prefix with no objects', async () => {
        expect(await store.list('nothing/')).toEqual([]);
        expect(await store.list('top/')).toEqual([]);
      });
    });

    describe('delete', () => {
      it('removes one object and leaves its neighbours', async () => {
        await store.putBytes('d/1', '1');
        await store.putBytes('d/2', '2');
        await store.delete('d/1');
        expect(await store.stat('d/1')).toBeNull();
        expect(await store.list('d/')).toEqual(['d/2']);
        await store.delete('d/2');
        expect(await store.list('')).toEqual([]);
      });

      it('treats an absent object as deleted', async () => {
        await expect(store.delete('never/was')).resolves.toBeUndefined();
        await store.putBytes('dir/child', 'x');
        await expect(store.delete('dir')).resolves.toBeUndefined();
        expect(await store.list('')).toEqual(['dir/child']);
      });

      it('removes a prefix and counts what it removed', async () => {
        for (const key of ['v/1/a', 'v/1/b/c', 'v/1/b/d', 'v/10/a', 'v/2/a']) await store.putBytes(key, key);
        expect(await store.deletePrefix('v/1/')).toBe(3);
        expect(await store.list('')).toEqual(['v/10/a', 'v/2/a']);
        expect(await store.deletePrefix('v/1/')).toBe(0);
        expect(await store.deletePrefix('none/')).toBe(0);
        expect(await store.deletePrefix('')).toBe(2);
        expect(await store.list('')).toEqual([]);
      });

      it('accepts new objects under a deleted prefix', async () => {
        await store.putBytes('p/q/r', 'old');
        await store.deletePrefix('p/');
        await store.putBytes('p/q/r', 'new');
        expect((await store.getBytes('p/q/r')).toString()).toBe('new');
      });
    });

    describe('key validation', () => {
      it.each(INVALID_KEYS)('rejects the key %j everywhere', async (key) => {
        const file = path.join(scratch, 'f');
        await writeFile(file, 'x');
        const calls: Array<() => Promise<unknown>> = [
          () => store.putBytes(key, 'x'),
          () => store.putFile(key, file),
          () => store.putStream(key, Readable.from([Buffer.from('x')])),
          () => store.getBytes(key),
          () => store.createReadStream(key),
          () => store.stat(key),
          () => store.delete(key),
        ];
        for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidBlobKeyError);
        if (store.localPath) expect(() => store.localPath!(key)).toThrow(InvalidBlobKeyError);
        expect(await store.list('')).toEqual([]);
      });

      it.each(INVALID_PREFIXES)('rejects the prefix %j', async (prefix) => {
        await expect(store.list(prefix)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });
    });

    describe('atomicity', () => {
      it('shows no object until putStream has finished', async () => {
        const source = stalledStream(randomBytes(100_000));
        const put = store.putStream('live/seg.m4s', source.stream);
        await source.firstChunkTaken;
        expect(await store.stat('live/seg.m4s')).toBeNull();
        expect(await store.list('')).toEqual([]);
        await expect(store.getBytes('live/seg.m4s')).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(store.createReadStream('live/seg.m4s')).rejects.toBeInstanceOf(BlobNotFoundError);
        source.finish(randomBytes(50_000));
        expect(await put).toEqual({ bytes: 150_000 });
        expect(await store.stat('live/seg.m4s')).toMatchObject({ size: 150_000 });
      });

      it('stores nothing, and keeps the previous object, when the stream fails', async () => {
        await store.putBytes('k', 'previous');
        const source = new PassThrough();
        const put = store.putStream('k', source);
        source.write(randomBytes(10_000));
        source.destroy(new Error('client went away'));
        await expect(put).rejects.toThrow('client went away');
        expect((await store.getBytes('k')).toString()).toBe('previous');
        await expect(store.putStream('fresh', Readable.from((async function* () {
          yield Buffer.from('partial');
          throw new Error('boom');
        })()))).rejects.toThrow('boom');
        expect(await store.stat('fresh')).toBeNull();
        expect(await store.list('')).toEqual(['k']);
      });

      it('never lets a reader see a mix of an old and a new version', async () => {
        const size = 256 * 1024;
        const versions = [Buffer.alloc(size, 'a'), Buffer.alloc(size, 'b')];
        await store.putBytes('hot', versions[0]!);
        const writes = (async () => {
          for (let i = 1; i <= 20; i++) await store.putBytes('hot', versions[i % 2]!);
        })();
        const reads = (async () => {
          for (let i = 0; i < 40; i++) {
            const read = await store.getBytes('hot');
            expect(read.equals(versions[0]!) || read.equals(versions[1]!)).toBe(true);
          }
        })();
        await Promise.all([writes, reads]);
      });
    });
  });
}
