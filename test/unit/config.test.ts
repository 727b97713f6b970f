import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('config', () => {
  it('has embedded defaults: port 8080, SQLite and blobs under the data dir', () => {
    const config = loadConfig({ env: {} });
    expect(config.port).toBe(8080);
    expect(config.segmentSeconds).toBe(4);
    expect(config.embeddedWorker).toBe(true);
    expect(config.databaseUrl).toBe(`sqlite:${path.join(config.dataDir, 'streamforge.db')}`);
  });

  it('reads PORT, HOST and STREAMFORGE_DATA_DIR from the environment', () => {
    const config = loadConfig({ env: { PORT: '9001', HOST: '127.0.0.1', STREAMFORGE_DATA_DIR: '/srv/sf' } });
    expect(config).toMatchObject({ port: 9001, host: '127.0.0.1', dataDir: '/srv/sf', databaseUrl: 'sqlite:/srv/sf/streamforge.db' });
  });

  it('keeps 1 GiB of disk free by default; STREAMFORGE_MIN_FREE_BYTES changes it, 0 keeps none', () => {
    expect(loadConfig({ env: {} }).minFreeBytes).toBe(1024 ** 3);
    expect(loadConfig({ env: { STREAMFORGE_MIN_FREE_BYTES: '5000000000' } }).minFreeBytes).toBe(5_000_000_000);
    expect(loadConfig({ env: { STREAMFORGE_MIN_FREE_BYTES: '0' } }).minFreeBytes).toBe(0);
    expect(() => loadConfig({ env: { STREAMFORGE_MIN_FREE_BYTES: '-1' } })).toThrow(/STREAMFORGE_MIN_FREE_BYTES \(minFreeBytes\)/);
  });

  it('layers defaults < file < environment < overrides', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sf-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ port: 7000, segmentSeconds: 6 }));
    const config = loadConfig({ env: { STREAMFORGE_CONFIG: file, PORT: '7001' }, overrides: { x264Preset: 'fast' } });
    expect(config).toMatchObject({ port: 7001, segmentSeconds: 6, x264Preset: 'fast' });
  });

  it('stops on a bad value with a message naming the setting', () => {
    expect(() => loadConfig({ env: { PORT: '70000' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { PORT: '70000' } })).toThrow(/PORT \(port\)/);
    expect(() => loadConfig({ env: { STREAMFORGE_X264_PRESET: 'turbo' } })).toThrow(/STREAMFORGE_X264_PRESET/);
    expect(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } })).toThrow(/DATABASE_URL/);
  });

  it('normalises loudness to -14 LUFS by default; the target and the switch are settings', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ loudnessNormalise: true, loudnessTargetLufs: -14, loudnessTruePeakDbtp: -1, loudnessRangeLu: 11 });
    const broadcast = loadConfig({ env: { STREAMFORGE_LOUDNESS_TARGET_LUFS: '-23', STREAMFORGE_LOUDNESS_NORMALISE: 'false' } });
    expect(broadcast).toMatchObject({ loudnessTargetLufs: -23, loudnessNormalise: false });
    expect(() => loadConfig({ env: { STREAMFORGE_LOUDNESS_TARGET_LUFS: '3' } })).toThrow(/STREAMFORGE_LOUDNESS_TARGET_LUFS/);
  });

  it('makes no extra codec ladders by default; STREAMFORGE_EXTRA_CODECS lists them', () => {
    expect(loadConfig({ env: {} }).extraCodecs).toEqual([]);
    expect(loadConfig({ env: { STREAMFORGE_EXTRA_CODECS: 'AV1, vp9' } }).extraCodecs).toEqual(['av1', 'vp9']);
    expect(loadConfig({ env: { STREAMFORGE_EXTRA_CODECS: 'none' } }).extraCodecs).toEqual([]);
    expect(loadConfig({ env: {}, overrides: { extraCodecs: ['vp9'] } }).extraCodecs).toEqual(['vp9']);
    expect(() => loadConfig({ env: { STREAMFORGE_EXTRA_CODECS: 'av1,hevc' } })).toThrow(/STREAMFORGE_EXTRA_CODECS/);
  });

  it('uses libx264 unless a hardware encoder is asked for', () => {
    expect(loadConfig({ env: {} }).hwEncoder).toBe('none');
    expect(loadConfig({ env: { STREAMFORGE_HW_ENCODER: 'auto' } }).hwEncoder).toBe('auto');
    expect(() => loadConfig({ env: { STREAMFORGE_HW_ENCODER: 'cuda' } })).toThrow(/STREAMFORGE_HW_ENCODER/);
  });

  it('rejects unknown keys and broken JSON in the config file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sf-config-'));
    writeFileSync(path.join(dir, 'typo.json'), JSON.stringify({ prot: 1 }));
    writeFileSync(path.join(dir, 'broken.json'), '{ nope');
    expect(() => loadConfig({ env: { STREAMFORGE_CONFIG: path.join(dir, 'typo.json') } })).toThrow(/prot/);
    expect(() => loadConfig({ env: { STREAMFORGE_CONFIG: path.join(dir, 'broken.json') } })).toThrow(/STREAMFORGE_CONFIG/);
  });

  it('runs everything in one process by default; STREAMFORGE_ROLE picks api or worker', () => {
    expect(loadConfig({ env: {} }).role).toBe('all');
    expect(loadConfig({ env: { STREAMFORGE_ROLE: 'worker' } }).role).toBe('worker');
    expect(() => loadConfig({ env: { STREAMFORGE_ROLE: 'boss' } })).toThrow(/STREAMFORGE_ROLE \(role\)/);
  });

  it('goes scale-out with REDIS_URL: chunked encoding of long videos is on there and off without it', () => {
    const embedded = loadConfig({ env: {} });
    expect(embedded.redisUrl).toBeUndefined();
    expect(embedded.chunkedMinDurationSec).toBe(0);
    const scaled = loadConfig({ env: { REDIS_URL: 'redis://cache:6379/2' } });
    expect(scaled.redisUrl).toBe('redis://cache:6379/2');
    expect(scaled.chunkedMinDurationSec).toBe(300);
    expect(loadConfig({ env: { REDIS_URL: 'redis://cache:6379', STREAMFORGE_CHUNKED_MIN_DURATION_SEC: '0' } }).chunkedMinDurationSec).toBe(0);
    expect(() => loadConfig({ env: { REDIS_URL: 'http://cache:6379' } })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ env: { STREAMFORGE_REDIS_PREFIX: 'a b' } })).toThrow(/STREAMFORGE_REDIS_PREFIX/);
  });

  it('keeps partial uploads under the data dir unless STREAMFORGE_UPLOADS_DIR names a shared volume', () => {
    expect(loadConfig({ env: { STREAMFORGE_DATA_DIR: '/srv/sf' } }).uploadsDir).toBe('/srv/sf/uploads');
    expect(loadConfig({ env: { STREAMFORGE_UPLOADS_DIR: '/mnt/shared/uploads' } }).uploadsDir).toBe('/mnt/shared/uploads');
  });
});
