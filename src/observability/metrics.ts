/**
 * The Prometheus metrics of one app context (docs/operations.md lists them): one prom-client
 * Registry per context, never the library's global one, so tests can run several servers in one
 * process and each scrape sees only its own.
 *
 * Two ways numbers get here. Instruments updated as things happen (HTTP requests through Fastify,
 * uploads, job attempts). And totals read only when scraped, through `collect()`: the origin's plain
 * counters (its hot path must not pay for labels, src/delivery/origin-traffic.ts), the queue's depth
 * and the running jobs.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Origin } from '../delivery/origin.js';
import { ORIGIN_METHODS, TRAFFIC_KINDS } from '../delivery/origin-traffic.js';
import type { JobStatus, Queue } from '../queue/queue.js';
import type { JobAttemptReport } from '../queue/worker.js';
import { failureReasonOf } from './job-failure-reason.js';

export const METRIC_PREFIX = 'streaming_service_';
/** The `route` label of every request the origin answers (the origin sees no Fastify route). */
export const STREAM_ROUTE = '/stream/*';

/** The pino-compatible subset the metrics log through. */
export interface MetricsLogger {
  warn(obj: object, msg?: string): void;
}

/** What the scrape-time collectors read; set once the context has built them (`watch`). */
export interface MetricsSources {
  queue: Pick<Queue, 'countsByType'>;
  origin: Pick<Origin, 'traffic' | 'stats'>;
  /** Jobs the ladder worker runs now; absent where no ladder worker runs. */
  activeTranscodingJobs: () => number;
}

export interface AppMetricsOptions {
  /** prom-client's process and Node.js runtime metrics (CPU, memory, event loop, GC); default on. */
  defaultMetrics?: boolean;
  logger?: MetricsLogger;
}

type HttpLabels = 'method' | 'route' | 'status';

export class AppMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<HttpLabels>;
  readonly httpRequestDuration: Histogram<HttpLabels>;
  readonly videosUploaded: Counter;
  /** What the janitor removed (src/maintenance/janitor.ts), by kind of garbage. */
  readonly janitorRemoved: Counter<'kind'>;
  private readonly transcodingDuration: Histogram<'job_type'>;
  private readonly jobFailures: Counter<'job_type' | 'reason' | 'outcome'>;
  private sources: MetricsSources | null = null;

  constructor(options: AppMetricsOptions = {}) {
    const registers = [this.registry];
    const logger = options.logger;
    // Gauges' collect() runs with `this` bound to the gauge, so they reach the sources through this.
    const sources = () => this.sources;
    // The origin's totals, as last reported: each scrape adds only what grew since.
    const reportedResponses = Object.fromEntries(ORIGIN_METHODS.map((m) => [m, new Float64Array(600)]));
    const reportedBytes = Object.fromEntries(TRAFFIC_KINDS.map((k) => [k, 0]));

    this.httpRequests = new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: `HTTP requests answered, by method, route pattern (${STREAM_ROUTE} for the origin) and status`,
      labelNames: ['method', 'route', 'status'],
      registers,
      collect: () => {
        const traffic = this.sources?.origin.traffic;
        if (!traffic) return;
        for (const method of ORIGIN_METHODS) {
          const totals = traffic.responses[method];
          const reported = reportedResponses[method]!;
          for (let status = 0; status < totals.length; status++) {
            const grown = totals[status]! - reported[status]!;
            if (grown <= 0) continue;
            this.httpRequests.inc({ method, route: STREAM_ROUTE, status: String(status) }, grown);
            reported[status] = totals[status]!;
          }
        }
      },
    });
    this.httpRequestDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request through Fastify (the /stream/ origin is not timed), by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const bandwidth = new Counter({
      name: `${METRIC_PREFIX}bandwidth_bytes_total`,
      help: 'Body bytes sent by the /stream/ origin, by kind of file (media, manifest, document; other: error bodies)',
      labelNames: ['kind'],
      registers,
      collect: () => {
        const traffic = this.sources?.origin.traffic;
        if (!traffic) return;
        for (const kind of TRAFFIC_KINDS) {
          const grown = traffic.bytesSent[kind] - reportedBytes[kind]!;
          if (grown <= 0) continue;
          bandwidth.inc({ kind }, grown);
          reportedBytes[kind] = traffic.bytesSent[kind];
        }
      },
    });
    for (const kind of TRAFFIC_KINDS) bandwidth.inc({ kind }, 0);
    new Gauge({
      name: `${METRIC_PREFIX}origin_cache_bytes`,
      help: 'Bytes held in the origin\'s memory cache',
      registers,
      collect() {
        const stats = sources()?.origin.stats();
        if (stats) this.set(stats.bytesCached);
      },
    });
    this.videosUploaded = new Counter({
      name: `${METRIC_PREFIX}videos_uploaded_total`,
      help: 'Videos accepted (multipart, resumable or CLI ingest) and queued for processing',
      registers,
    });
    this.janitorRemoved = new Counter({
      name: `${METRIC_PREFIX}janitor_removed_total`,
      help: 'Garbage the janitor removed, by kind (prefixes, directories, uploads or jobs; docs/configuration.md, "Storage lifecycle")',
      labelNames: ['kind'],
      registers,
    });
    new Gauge({
      name: `${METRIC_PREFIX}active_transcoding_jobs`,
      help: 'Ladder jobs (video.process, video.chunk, video.assemble) running in this process',
      registers,
      collect() {
        this.set(sources()?.activeTranscodingJobs() ?? 0);
      },
    });
    this.transcodingDuration = new Histogram({
      name: `${METRIC_PREFIX}transcoding_duration_seconds`,
      help: 'Wall-clock time of ladder job attempts that completed, by job type',
      labelNames: ['job_type'],
      buckets: [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers,
    });
    this.jobFailures = new Counter({
      name: `${METRIC_PREFIX}job_failures_total`,
      help: 'Job attempts that did not complete, by job type, reason (the typed error\'s code, or permanent, transient, timeout, shutdown, lease_lost) and outcome (retrying, failed, lease-lost, interrupted)',
      labelNames: ['job_type', 'reason', 'outcome'],
      registers,
    });
    new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'Jobs in the queue by job type and state (queued, active, completed, failed); read from the queue when scraped',
      labelNames: ['job_type', 'state'],
      registers,
      async collect() {
        const queue = sources()?.queue;
        if (!queue) return;
        let counts: Record<string, Record<JobStatus, number>>;
        try {
          counts = await queue.countsByType();
        } catch (err) {
          // An unreachable queue shows as missing series (and in /ready), not as a failed scrape.
          this.reset();
          logger?.warn({ err }, 'metrics: cannot read the queue depth');
          return;
        }
        this.reset();
        for (const [type, byState] of Object.entries(counts)) {
          for (const [state, count] of Object.entries(byState)) this.set({ job_type: type, state }, count);
        }
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Connects the scrape-time collectors to the context's origin, queue and workers. */
  watch(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** A job attempt of any worker ended: count it when it did not complete. */
  recordJobAttempt(report: JobAttemptReport): void {
    if (report.outcome === 'completed') return;
    this.jobFailures.inc({ job_type: report.type, reason: failureReasonOf(report.error), outcome: report.outcome });
  }

  /** A ladder job attempt ended: as recordJobAttempt, and its duration when it completed. */
  recordTranscodingAttempt(report: JobAttemptReport): void {
    if (report.outcome === 'completed') this.transcodingDuration.observe({ job_type: report.type }, report.durationMs / 1000);
    else this.recordJobAttempt(report);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
