/**
 * Server-Sent Events of one video: `state` (the whole video JSON) first, then `progress` events
 * ({ stage, percent, etaMs }), `playable`, and finally `ready` or `failed` with the final state,
 * after which the stream ends. Written by hand: the SSE wire format is four lines of text and the
 * stream needs our own subscribe-before-snapshot ordering so no event falls between the two.
 *
 * Events are the fast path, the record is the truth. The final `ready`/`failed` must never be
 * missed, yet a networked bus loses events while its connection is down and a worker can die between
 * writing the record and publishing: so the stream re-reads the record when the bus reports a gap
 * (`onResync`: the current state is sent, or the final event) and, as a backstop, with every
 * heartbeat (the final event only). The record is written before the event is published
 * (process-video.ts, video-reconciler.ts), so whichever arrives first is the final state.
 *
 * On shutdown (OpenEventStreams.endAll, src/cli/main.ts) every stream ends cleanly — a `retry` hint,
 * then the end of the chunked body, not a cut socket — and streams opened afterwards end at once:
 * EventSource reconnects (to this server's successor or another replica) and gets the state again.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import type { VideoEvent } from '../videos/video-events.js';
import { toVideoJson } from '../videos/video-repository.js';

const HEARTBEAT_MS = 15_000;
/** The reconnection delay a browser is told when the server ends a stream to shut down. */
const SHUTDOWN_RETRY_MS = 1_000;

/** The event streams this process has open, so a shutdown can end them instead of waiting on them. */
export class OpenEventStreams {
  private readonly streams = new Set<() => void>();
  private ended = false;

  /** Tracks one stream; returns false (end it now) once the process is shutting down. */
  add(endForShutdown: () => void): boolean {
    if (this.ended) return false;
    this.streams.add(endForShutdown);
    return true;
  }

  remove(endForShutdown: () => void): void {
    this.streams.delete(endForShutdown);
  }

  /** Ends every open stream and every later one; returns how many were open. */
  endAll(): number {
    this.ended = true;
    const open = [...this.streams];
    this.streams.clear();
    for (const end of open) end();
    return open.length;
  }
}

export function streamVideoEvents(options: {
  request: FastifyRequest;
  reply: FastifyReply;
  videoId: string;
  ctx: AppContext;
}): void {
  const { request, reply, videoId, ctx } = options;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
  });
  let closed = false;
  let eventId = 0;
  const send = (event: string, data: unknown) => {
    if (!closed) res.write(`id: ${++eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    ctx.eventStreams.remove(endForShutdown);
    unsubscribe();
    clearInterval(heartbeat);
    res.end();
  };
  const endForShutdown = () => {
    if (closed) return;
    res.write(`: server shutting down\nretry: ${SHUTDOWN_RETRY_MS}\n\n`);
    // Close the connection too: a reconnect sent on it would get the closing server's 503, which
    // makes EventSource give up instead of retrying.
    res.once('finish', () => res.socket?.end());
    finish();
  };

  const pending: VideoEvent[] = [];
  let snapshotSent = false;
  const onEvent = (event: VideoEvent) => {
    if (!snapshotSent) {
      pending.push(event);
      return;
    }
    void deliver(event);
  };
  const deliver = async (event: VideoEvent) => {
    if (event.type === 'ready' || event.type === 'failed') {
      const row = await ctx.videos.get(videoId).catch(() => null);
      send(event.type, row ? toVideoJson(row) : event);
      finish();
    } else {
      send(event.type, { stage: event.stage, percent: event.percent, etaMs: event.etaMs });
    }
  };
  // A gap reported while the snapshot is being read may postdate that read: re-read after it.
  let gapBeforeSnapshot = false;
  /** Re-reads the record: ends the stream when it is final; after a gap also resends the state. */
  const resync = async (reason: 'gap' | 'heartbeat') => {
    if (closed) return;
    if (!snapshotSent) {
      if (reason === 'gap') gapBeforeSnapshot = true;
      return;
    }
    const row = await ctx.videos.get(videoId);
    if (closed) return;
    if (!row) return finish();
    const state = toVideoJson(row);
    if (state.status !== 'processing') {
      send(state.status, state);
      finish();
    } else if (reason === 'gap') {
      send('state', state);
    }
  };
  const resyncSafely = (reason: 'gap' | 'heartbeat') =>
    void resync(reason).catch((err: unknown) => request.log.warn({ err, videoId }, 'event stream could not re-read the video'));
  const unsubscribe = ctx.events.subscribe(videoId, onEvent, { onResync: () => resyncSafely('gap') });
  const heartbeat = setInterval(() => {
    if (closed) return;
    res.write(': keep-alive\n\n');
    resyncSafely('heartbeat');
  }, HEARTBEAT_MS);
  request.raw.on('close', finish);
  if (!ctx.eventStreams.add(endForShutdown)) return endForShutdown();

  void (async () => {
    const row = await ctx.videos.get(videoId);
    if (!row) return finish();
    const state = toVideoJson(row);
    send('state', state);
    if (state.status !== 'processing') {
      send(state.status, state);
      return finish();
    }
    snapshotSent = true;
    for (const event of pending.splice(0)) await deliver(event);
    if (gapBeforeSnapshot) await resync('gap');
  })().catch((err) => {
    request.log.error({ err }, 'event stream failed');
    finish();
  });
}
