/**
 * The `streamforge` command: `serve` (HTTP server + embedded worker), `ingest FILE` (process one
 * local file and print where its manifests are), `migrate` (apply database migrations), `analyze
 * FILE` (quality report, src/cli/analyze.ts), `backup DIR` / `restore DIR` (src/cli/backup.ts).
 * Argument parsing uses node:util parseArgs — a handful of sub-commands do not need a CLI framework.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { closeAppContext, createAppContext, startBackground, stopWorkers, type AppContext } from '../app.js';
import { buildHealthServer, buildServer } from '../api/server.js';
import { AnalyzeInputError, analyzeFile, formatReport } from './analyze.js';
import { backup, BackupRefusedError, BackupUnsupportedError, restore } from './backup.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import { PermanentError } from '../errors.js';
import { newId } from '../ids.js';
import { checkFfmpeg, FfmpegMissingError } from '../media/ffmpeg-check.js';
import { MASTER_PLAYLIST, DASH_MANIFEST } from '../pipeline/ladder-publisher.js';
import { acceptVideo, titleFromFileName } from '../videos/video-intake.js';
import { streamPath, toVideoJson } from '../videos/video-repository.js';

const USAGE = `usage: streamforge <command> [options]

commands:
  serve                 start StreamForge; --role all (default: HTTP + job workers, one process),
      --port N --host ADDR  api (HTTP only) or worker (jobs only; /health and /ready on --port)
      --data-dir DIR --role all|api|worker
  ingest FILE           process one local video file; prints where its manifests are
      --title TEXT --json --data-dir DIR
  migrate               apply pending database migrations
  analyze FILE          quality report of a local file (docs/quality.md); with --reference, also
      --reference REF --json   PSNR/SSIM of FILE against REF at FILE's size
  backup DIR            copy the database (online snapshot) and blobs into DIR, safe while serving;
      --include-uploads     embedded mode only (docs/backup.md)
  restore DIR           restore a backup into --data-dir, after checking it; refuses a data
      --force               directory that is not empty unless --force

Settings come from the environment (see docs/configuration.md).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      role: { type: 'string' },
      title: { type: 'string' },
      reference: { type: 'string' },
      json: { type: 'boolean', default: false },
      'include-uploads': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig({
    overrides: {
      ...(values.port !== undefined ? { port: values.port as unknown as number } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
      // Validated by the config schema like STREAMFORGE_ROLE, so a typo stops start-up with its name.
      ...(values.role !== undefined ? { role: values.role as Config['role'] } : {}),
    },
  });
  switch (command) {
    case 'serve':
      return serve(config);
    case 'ingest':
      if (rest.length !== 1) throw new UsageError('ingest takes exactly one FILE');
      return ingest(config, rest[0]!, { title: values.title, json: values.json });
    case 'migrate':
      return migrate(config);
    case 'analyze':
      if (rest.length !== 1) throw new UsageError('analyze takes exactly one FILE');
      return analyze(config, rest[0]!, { reference: values.reference, json: values.json });
    case 'backup':
    case 'restore':
      if (rest.length !== 1) throw new UsageError(`${command} takes exactly one DIR`);
      return backupOrRestore(config, command, rest[0]!, { includeUploads: values['include-uploads'], force: values.force });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

/**
 * `serve` in one of three roles (docs/scale-out.md): `all` is the single-process default; `api`
 * serves HTTP and runs no jobs; `worker` runs jobs and answers only /health and /ready, so process
 * managers and orchestrators can probe it. The roles share nothing but DATABASE_URL, REDIS_URL and
 * the storage settings.
 */
async function serve(config: Config): Promise<number> {
  const runWorker = config.role === 'worker' || (config.role === 'all' && config.embeddedWorker);
  // Only processes that run jobs need ffmpeg; refuse to start without it rather than fail every upload.
  const versions = runWorker && (config.workerConcurrency > 0 || config.stageConcurrency > 0) ? await checkFfmpeg(config) : null;
  const ctx = await createAppContext({ config, runWorker });
  if (versions) ctx.logger.info(versions, 'ffmpeg found');
  const app = config.role === 'worker' ? await buildHealthServer(ctx) : await buildServer(ctx);
  await app.listen({ port: config.port, host: config.host });
  await startBackground(ctx);
  const address = app.server.address();
  ctx.logger.info(
    { role: config.role, port: typeof address === 'object' && address ? address.port : config.port, dataDir: config.dataDir, worker: Boolean(ctx.worker) },
    'StreamForge is up',
  );

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      ctx.logger.info({ signal }, 'shutting down: no new requests, finishing running jobs');
      // A second signal (Ctrl-C twice) does not wait for the grace.
      process.once(signal, () => process.exit(1));
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  // Graceful shutdown (docs/faults.md): stop accepting connections and end event streams cleanly
  // (EventSource reconnects, to a successor or another replica); in-flight requests and running jobs
  // share one grace, after which the requests left are cut (a tus client resumes from its offset)
  // and the jobs left are handed back to the queue without using up an attempt.
  const graceMs = config.shutdownGraceMs;
  const streams = ctx.eventStreams.endAll();
  const closing = app.close();
  const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  const jobsStopped = stopWorkers(ctx, { graceMs });
  await closing;
  clearTimeout(cut);
  await jobsStopped;
  await closeAppContext(ctx, { graceMs });
  ctx.logger.info({ streams }, 'shut down');
  // Everything is closed; a handle something forgot (an abandoned job's child) must not keep us up.
  setTimeout(() => process.exit(0), 5_000).unref();
  return 0;
}

async function ingest(config: Config, file: string, options: { title?: string; json: boolean }): Promise<number> {
  const filePath = path.resolve(file);
  const info = await stat(filePath).catch(() => null);
  if (!info?.isFile()) throw new UsageError(`not a file: ${file}`);
  // Logs go to stderr (stdout carries the result), and only warnings unless asked for more.
  const level = config.logLevel === 'info' ? 'warn' : config.logLevel;
  const logger = pino({ level }, pino.destination(2));
  await checkFfmpeg(config);
  const ctx = await createAppContext({ config, runWorker: true, logger });
  try {
    const id = newId();
    const sourceKey = `originals/${id}`;
    await ctx.store.putFile(sourceKey, filePath);
    const done = waitForOutcome(ctx, id, options.json);
    await acceptVideo(ctx, {
      id,
      sourceKey,
      sourceBytes: info.size,
      sourceName: path.basename(filePath),
      title: options.title ?? titleFromFileName(path.basename(filePath)),
      // Whoever runs the CLI has the install's files: the video is the first admin's.
      ownerId: (await ctx.auth.accounts.firstAdmin())?.id ?? null,
    });
    await startBackground(ctx);
    const row = await done;
    const video = toVideoJson(row);
    if (options.json) {
      console.log(JSON.stringify(video, null, 2));
    } else if (row.status === 'ready' && row.output_prefix) {
      const local = (name: string) => ctx.store.localPath?.(`${row.output_prefix}${name}`) ?? `${row.output_prefix}${name}`;
      console.log(`ready: ${video.id} "${video.title}" (${video.renditions.map((r) => r.name).join(', ') || 'audio only'})`);
      console.log(`  HLS  ${local(MASTER_PLAYLIST)}`);
      console.log(`  DASH ${local(DASH_MANIFEST)}`);
      console.log(`  served by \`streamforge serve\` at ${streamPath(id, row.output_prefix, MASTER_PLAYLIST)} and ${streamPath(id, row.output_prefix, DASH_MANIFEST)}`);
    } else {
      console.error(`failed: ${video.id}: ${video.error}`);
    }
    return row.status === 'ready' ? 0 : 1;
  } finally {
    await closeAppContext(ctx, { graceMs: 1000 });
  }
}

/** Resolves with the video row once it is ready or failed, printing progress to stderr. */
function waitForOutcome(ctx: AppContext, id: string, quiet: boolean) {
  return new Promise<NonNullable<Awaited<ReturnType<AppContext['videos']['get']>>>>((resolve, reject) => {
    let lastPrinted = -10;
    const check = async () => {
      const row = await ctx.videos.get(id);
      if (row && row.status !== 'processing') {
        unsubscribe();
        clearInterval(poll);
        resolve(row);
      }
    };
    const unsubscribe = ctx.events.subscribe(id, (event) => {
      if (!quiet && event.type === 'progress' && event.percent - lastPrinted >= 5) {
        lastPrinted = event.percent;
        process.stderr.write(`${event.stage} ${event.percent.toFixed(0)}%${event.etaMs !== null ? `, ~${Math.ceil(event.etaMs / 1000)} s left` : ''}\n`);
      }
      if (event.type === 'ready' || event.type === 'failed') check().catch(reject);
    });
    // The queue may also fail the job without an event (exhausted retries): poll as a backstop.
    const poll = setInterval(() => check().catch(reject), 1000);
  });
}

async function analyze(config: Config, file: string, options: { reference?: string; json: boolean }): Promise<number> {
  let lastPrinted = -10;
  const report = await analyzeFile(config, {
    file,
    reference: options.reference,
    onProgress: (fraction) => {
      if (options.json || (fraction < 1 && fraction * 100 - lastPrinted < 10)) return;
      lastPrinted = fraction * 100;
      process.stderr.write(`analyzing ${lastPrinted.toFixed(0)}%\n`);
    },
  }).catch((err: unknown) => {
    // A file ffprobe refuses: say why, like `ingest` does.
    if (err instanceof PermanentError) return err;
    throw err;
  });
  if (report instanceof PermanentError) {
    console.error(`streamforge: cannot analyze: ${report.message}`);
    return 1;
  }
  console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report, file));
  // A failed gate set to `fail` fails the command too, so scripts can stop on it.
  return !report.gate.passed && report.gate.action === 'fail' ? 1 : 0;
}

async function backupOrRestore(config: Config, command: 'backup' | 'restore', dir: string, options: { includeUploads: boolean; force: boolean }): Promise<number> {
  if (command === 'backup') {
    const manifest = await backup({ config, dir, includeUploads: options.includeUploads });
    console.log(`backed up to ${path.resolve(dir)}: database ${manifest.database.bytes} bytes (sha256 ${manifest.database.sha256}), ${manifest.blobs.files} blobs${manifest.uploads ? `, ${manifest.uploads.files} upload files` : ''}`);
  } else {
    const manifest = await restore({ config, dir, force: options.force });
    console.log(`restored the backup of ${manifest.createdAt} (StreamForge ${manifest.streamforgeVersion}) into ${config.dataDir}; start StreamForge on it`);
  }
  return 0;
}

async function migrate(config: Config): Promise<number> {
  const database = openDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(database.db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof FfmpegMissingError || err instanceof AnalyzeInputError
      || err instanceof BackupRefusedError || err instanceof BackupUnsupportedError) {
      console.error(`streamforge: ${err.message}`);
      if (err instanceof UsageError) console.error(USAGE);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
