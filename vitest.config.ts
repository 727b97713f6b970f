import { defineConfig } from 'vitest/config';

/**
 * Files that start StreamForge themselves on purpose-built drivers, or start none: their scale-out
 * run would repeat the embedded one. Every other integration and browser file runs twice.
 */
const notRepeatedInScaleOut = [
  'test/integration/cli-analyze.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/origin.test.ts',
  'test/integration/probe.test.ts',
  'test/integration/quality-analysis.test.ts',
  'test/integration/media-analysis.test.ts',
  'test/integration/s3-storage.test.ts',
  'test/integration/roles.test.ts',
  'test/integration/scale-out-faults.test.ts',
  'test/integration/cross-process-events.test.ts',
  'test/integration/uploads-scale-out.test.ts',
  'test/integration/deploy-examples.test.ts',
  'test/integration/edge-cache.test.ts',
  // nginx reads the blob directory: local storage by construction.
  'test/integration/nginx-private.test.ts',
  // Reads SQLite and the blob directory directly: embedded by construction (kill tests of the
  // scale-out mode are in scale-out-faults.test.ts and chunked-encoding.test.ts).
  'test/integration/crash-recovery.test.ts',
  // Fault tests (docs/faults.md): their own OS processes, SQLite and local disk (kill-loop,
  // graceful-shutdown) or mounts under a local data directory (disk-faults).
  'test/integration/kill-loop.test.ts',
  'test/integration/graceful-shutdown.test.ts',
  'test/integration/disk-faults.test.ts',
  // Backs up and restores an embedded installation's files, with its own server processes.
  'test/integration/backup-restore.test.ts',
];

export default defineConfig({
  test: {
    // Integration and browser tests run real ffmpeg; two forks match the 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'embedded', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          // The same suites on PostgreSQL, BullMQ/Redis and S3 (test/helpers/scale-out.ts).
          name: 'scale-out',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: notRepeatedInScaleOut,
          env: { STREAMFORGE_TEST_MODE: 'scale-out' },
        },
      },
    ],
  },
});
