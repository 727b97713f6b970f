/**
 * The upload page: a drop zone (or file picker) for several files, then one row per file with its
 * upload progress, speed and time left, pause/resume/cancel, and its processing until ready.
 */
import { useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { formatBytes, formatEta, formatSpeed, STAGE_LABELS } from '../format.js';
import { useSession } from '../app/session.js';
import { type UploadItem, useUploadQueue } from './upload-queue.js';
import './upload.css';

export function UploadPage() {
  const queue = useUploadQueue();
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const { user } = useSession();

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const files = event.dataTransfer?.files;
    if (files && files.length > 0) queue.add(Array.from(files));
  };

  // Uploading needs an account with the creator or admin role (docs/security.md).
  if (user === undefined) return <section class="page upload-page" aria-busy="true" />;
  if (user === null || user.role === 'viewer') {
    return (
      <section class="page upload-page empty-state">
        <h1>Upload videos</h1>
        {user === null
          ? <p><Link href="/signin?next=%2Fupload">Sign in</Link> to upload videos.</p>
          : <p>Your account can watch videos but not upload them: ask an admin for the creator role.</p>}
      </section>
    );
  }

  return (
    <section class="page upload-page">
      <div class="page-header">
        <div>
          <h1>Upload videos</h1>
          <p>Uploads resume by themselves after a dropped connection, and from where they stopped if you come back later.</p>
        </div>
      </div>

      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragEnter={(e) => { e.preventDefault(); setDragging(true); }}
        onDragOver={(e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; }}
        onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }}
        onDrop={onDrop}
      >
        <svg viewBox="0 0 48 48" width="56" height="56" aria-hidden="true">
          <rect x="4" y="10" width="40" height="28" rx="6" fill="none" stroke="currentColor" stroke-width="2.5" />
          <path d="M20 18v12l10-6z" fill="currentColor" />
        </svg>
        <p class="dropzone-title">Drag and drop video files here</p>
        <p class="dropzone-hint">MP4, MOV, MKV, WebM, MPEG-TS, AVI and more — any size your server allows. Audio files work too.</p>
        <button type="button" class="button primary" onClick={() => input.current?.click()}>Select files</button>
        <input
          ref={input}
          type="file"
          multiple
          class="visually-hidden"
          aria-label="Choose video files to upload"
          tabIndex={-1}
          onChange={(e) => {
            const target = e.currentTarget;
            if (target.files && target.files.length > 0) queue.add(Array.from(target.files));
            target.value = '';
          }}
        />
      </div>

      {queue.items.length > 0 && (
        <ul class="upload-list" aria-label="Uploads">
          {queue.items.map((item) => <UploadRow key={item.key} item={item} />)}
        </ul>
      )}
    </section>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  const queue = useUploadQueue();
  const uploadPercent = item.bytesTotal > 0 ? (item.bytesSent / item.bytesTotal) * 100 : 0;
  const processingPercent = item.processing?.percent ?? 0;
  const inUpload = item.state === 'uploading' || item.state === 'paused';
  const percent = inUpload ? uploadPercent : item.state === 'ready' ? 100 : processingPercent;
  const barClass = item.state === 'processing' ? 'processing' : item.state === 'ready' ? 'done' : '';
  const label = `${item.fileName}: ${statusText(item)}`;

  return (
    <li class={`upload-row state-${item.state}`} data-state={item.state}>
      <div class="upload-icon" aria-hidden="true">
        <svg viewBox="0 0 24 24" width="22" height="22"><path d="M4 6h11a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2zm13 4 5-3v10l-5-3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" /></svg>
      </div>
      <div class="upload-main">
        <div class="upload-title-row">
          <span class="upload-name" title={item.fileName}>{item.fileName}</span>
          <span class="upload-size">{formatBytes(item.bytesTotal)}</span>
        </div>
        {item.state !== 'failed' && item.state !== 'cancelled' && (
          <div
            class={`progress ${barClass}`}
            role="progressbar"
            aria-label={label}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(percent)}
          >
            <div style={{ width: `${percent}%` }} />
          </div>
        )}
        <p class={`upload-status${item.state === 'failed' ? ' error' : ''}`} role={item.state === 'failed' ? 'alert' : undefined} aria-live="polite">
          {statusText(item)}
        </p>
      </div>
      <div class="upload-actions">
        {item.state === 'uploading' && (
          <button type="button" class="button small" onClick={() => queue.pause(item.key)} aria-label={`Pause ${item.fileName}`}>Pause</button>
        )}
        {item.state === 'paused' && (
          <button type="button" class="button small" onClick={() => queue.resume(item.key)} aria-label={`Resume ${item.fileName}`}>Resume</button>
        )}
        {inUpload && (
          <button type="button" class="button small ghost danger" onClick={() => queue.cancel(item.key)} aria-label={`Cancel ${item.fileName}`}>Cancel</button>
        )}
        {item.videoId && item.playable && item.state !== 'failed' && (
          <Link href={`/watch/${item.videoId}`} class="button small primary">{item.state === 'ready' ? 'Watch' : 'Watch now'}</Link>
        )}
        {(item.state === 'failed' || item.state === 'cancelled' || item.state === 'ready') && (
          <button type="button" class="button small ghost icon-button" onClick={() => queue.dismiss(item.key)} aria-label={`Dismiss ${item.fileName}`}>
            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round" /></svg>
          </button>
        )}
      </div>
    </li>
  );
}

function statusText(item: UploadItem): string {
  switch (item.state) {
    case 'uploading': {
      const sent = `${formatBytes(item.bytesSent)} of ${formatBytes(item.bytesTotal)}`;
      if (item.speed <= 0) return `Uploading · ${sent}`;
      const eta = formatEta(((item.bytesTotal - item.bytesSent) / item.speed) * 1000);
      return `Uploading · ${sent} · ${formatSpeed(item.speed)} · ${eta}`;
    }
    case 'paused':
      return `Paused at ${formatBytes(item.bytesSent)} of ${formatBytes(item.bytesTotal)}`;
    case 'processing': {
      const p = item.processing;
      if (!p) return 'Uploaded · waiting for processing';
      const eta = p.etaMs != null && p.etaMs > 0 ? ` · ${formatEta(p.etaMs)}` : '';
      return `${STAGE_LABELS[p.stage] ?? p.stage} · ${Math.floor(p.percent)}%${eta}${item.playable ? ' · watchable now' : ''}`;
    }
    case 'ready':
      return 'Ready to watch';
    case 'failed':
      return item.error ?? 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}
