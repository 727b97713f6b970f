/**
 * The uploads of this browser tab: each file goes to the tus endpoint with tus-js-client
 * (resumable: pause/resume, retries on network drops, and resume after a page reload through the
 * fingerprints it keeps in localStorage), then its processing is followed over Server-Sent Events.
 * The queue lives above the routes so uploads continue while the creator browses the library.
 */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useMemo, useRef, useState } from 'preact/hooks';
import { DetailedError, Upload } from 'tus-js-client';
import { eventsUrl, type Video, type VideoProgress } from '../api.js';

export const UPLOADS_ENDPOINT = '/api/uploads';
const VIDEO_ID_HEADER = 'StreamForge-Video-Id';
/** Bytes per PATCH: large enough to cost nothing in round trips, small enough to retry cheaply. */
const CHUNK_SIZE = 32 * 1024 * 1024;
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000, 30_000];

export type UploadState = 'uploading' | 'paused' | 'processing' | 'ready' | 'failed' | 'cancelled';

export interface UploadItem {
  key: string;
  fileName: string;
  bytesTotal: number;
  bytesSent: number;
  /** Bytes per second, smoothed. */
  speed: number;
  state: UploadState;
  /** Why the upload or its processing failed, in words from the server where it gave them. */
  error: string | null;
  videoId: string | null;
  processing: VideoProgress | null;
  /** The stream can be watched (first segments out, or ready). */
  playable: boolean;
}

interface UploadQueue {
  items: UploadItem[];
  add(files: Iterable<File>): void;
  pause(key: string): void;
  resume(key: string): void;
  cancel(key: string): void;
  dismiss(key: string): void;
}

const QueueContext = createContext<UploadQueue | null>(null);

export function useUploadQueue(): UploadQueue {
  const queue = useContext(QueueContext);
  if (!queue) throw new Error('useUploadQueue outside UploadQueueProvider');
  return queue;
}

interface Running {
  upload: Upload;
  events: EventSource | null;
  lastSample: { at: number; bytes: number } | null;
}

let nextKey = 0;

export function UploadQueueProvider(props: { children: ComponentChildren }) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const running = useRef(new Map<string, Running>());

  const queue = useMemo<UploadQueue>(() => {
    const patch = (key: string, changes: Partial<UploadItem> | ((item: UploadItem) => Partial<UploadItem>)) =>
      setItems((list) => list.map((item) => (item.key === key ? { ...item, ...(typeof changes === 'function' ? changes(item) : changes) } : item)));

    const follow = (key: string, videoId: string) => {
      const entry = running.current.get(key);
      if (!entry || entry.events) return;
      const events = new EventSource(eventsUrl(videoId));
      entry.events = events;
      const end = () => {
        events.close();
        entry.events = null;
      };
      events.addEventListener('state', (e) => {
        const video = JSON.parse((e as MessageEvent<string>).data) as Video;
        patch(key, { processing: video.progress, playable: video.playback !== null });
      });
      events.addEventListener('progress', (e) => {
        patch(key, { processing: JSON.parse((e as MessageEvent<string>).data) as VideoProgress });
      });
      events.addEventListener('playable', () => patch(key, { playable: true }));
      events.addEventListener('ready', () => {
        end();
        patch(key, { state: 'ready', playable: true, processing: { stage: 'ready', percent: 100, etaMs: 0 } });
      });
      events.addEventListener('failed', (e) => {
        end();
        const video = JSON.parse((e as MessageEvent<string>).data) as Video;
        patch(key, { state: 'failed', error: video.error ?? 'processing failed' });
      });
      // EventSource reconnects by itself after a network error; the server resends the state first.
    };

    const start = (key: string, file: File) => {
      const upload: Upload = new Upload(file, {
        endpoint: UPLOADS_ENDPOINT,
        chunkSize: CHUNK_SIZE,
        retryDelays: RETRY_DELAYS_MS,
        metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress: (bytesSent, bytesTotal) => {
          const entry = running.current.get(key);
          const now = performance.now();
          patch(key, (item) => {
            let speed = item.speed;
            const last = entry?.lastSample;
            if (last && now - last.at >= 250) {
              const instant = ((bytesSent - last.bytes) * 1000) / (now - last.at);
              speed = speed > 0 ? speed * 0.7 + instant * 0.3 : instant;
            }
            if (entry && (!last || now - last.at >= 250)) entry.lastSample = { at: now, bytes: bytesSent };
            return { bytesSent, bytesTotal, speed: Math.max(0, speed) };
          });
        },
        onAfterResponse: (_req, res) => {
          const videoId = res.getHeader(VIDEO_ID_HEADER);
          if (videoId) patch(key, { videoId });
        },
        onSuccess: async ({ lastResponse }) => {
          let videoId = lastResponse.getHeader(VIDEO_ID_HEADER) ?? null;
          // A resumed upload that was already complete answers HEAD without the header: ask.
          if (!videoId && upload.url) {
            const res = await fetch(new URL(upload.url, location.href).href.replace(/\/?$/, ''), { headers: { Accept: 'application/json' } });
            if (res.ok) videoId = ((await res.json()) as { videoId: string | null }).videoId;
          }
          if (!videoId) {
            patch(key, { state: 'failed', error: 'The upload finished but the server did not name its video.' });
            return;
          }
          patch(key, { state: 'processing', videoId, bytesSent: file.size, speed: 0 });
          follow(key, videoId);
        },
        onError: (err) => {
          patch(key, (item) => (item.state === 'cancelled' ? {} : { state: 'failed', error: uploadErrorMessage(err) }));
        },
        onShouldRetry: (err) => {
          const status = err.originalResponse?.getStatus() ?? 0;
          // Client errors (too large, bad metadata, no space) will not get better by retrying.
          return status === 0 || status === 409 || status === 423 || status >= 500;
        },
      });
      running.current.set(key, { upload, events: null, lastSample: null });
      // Pick up where an earlier visit left this same file, if the server still has it.
      void upload.findPreviousUploads().then((previous) => {
        const latest = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
        if (latest) upload.resumeFromPreviousUpload(latest);
        upload.start();
      });
    };

    return {
      items: [],
      add(files) {
        const added: UploadItem[] = [];
        for (const file of files) {
          const key = `u${++nextKey}`;
          added.push({
            key, fileName: file.name, bytesTotal: file.size, bytesSent: 0, speed: 0, state: 'uploading',
            error: file.size === 0 ? 'The file is empty.' : null, videoId: null, processing: null, playable: false,
          });
          if (file.size === 0) added[added.length - 1]!.state = 'failed';
          else queueMicrotask(() => start(key, file));
        }
        setItems((list) => [...added, ...list]);
      },
      pause(key) {
        const entry = running.current.get(key);
        if (!entry) return;
        void entry.upload.abort(false);
        entry.lastSample = null;
        patch(key, { state: 'paused', speed: 0 });
      },
      resume(key) {
        const entry = running.current.get(key);
        if (!entry) return;
        patch(key, { state: 'uploading', error: null });
        entry.upload.start();
      },
      cancel(key) {
        const entry = running.current.get(key);
        patch(key, { state: 'cancelled', speed: 0 });
        entry?.events?.close();
        // Terminates the upload on the server too (tus termination), so no partial file stays.
        if (entry) void entry.upload.abort(true).catch(() => {});
        running.current.delete(key);
      },
      dismiss(key) {
        running.current.get(key)?.events?.close();
        running.current.delete(key);
        setItems((list) => list.filter((item) => item.key !== key));
      },
    };
  }, []);

  const value = useMemo(() => ({ ...queue, items }), [queue, items]);
  return <QueueContext.Provider value={value}>{props.children}</QueueContext.Provider>;
}

/** The server's own words for a rejected upload (e.g. the size limit), else a plain description. */
export function uploadErrorMessage(err: Error): string {
  if (err instanceof DetailedError && err.originalResponse) {
    const status = err.originalResponse.getStatus();
    const body = err.originalResponse.getBody()?.trim();
    if (body) return body;
    if (status === 413) return 'The file is larger than this server accepts.';
    if (status === 507) return 'The server is out of disk space.';
    return `The server refused the upload (HTTP ${status}).`;
  }
  return 'The connection to the server was lost. Resume to try again.';
}
