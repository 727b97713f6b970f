/**
 * Dialogs for a video's details (title, description, tags) and for deleting it. Native <dialog>
 * opened modal: the browser traps focus, closes on Escape and restores focus afterwards.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, deleteVideo, updateVideo, type Video, type Visibility } from '../api.js';

function useModal(open: boolean) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}

/** "travel, Drone  ,travel" → ["travel", "Drone"]: trimmed, empty and repeated tags dropped. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const raw of text.split(',')) {
    const tag = raw.trim();
    if (tag && !seen.has(tag.toLowerCase())) {
      seen.add(tag.toLowerCase());
      tags.push(tag);
    }
  }
  return tags;
}

export function EditVideoDialog(props: { video: Video | null; onClose: () => void; onSaved: (video: Video) => void }) {
  const { video } = props;
  const ref = useModal(video !== null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('public');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!video) return;
    setTitle(video.title);
    setDescription(video.description ?? '');
    setTags((video.tags ?? []).join(', '));
    setVisibility(video.visibility ?? 'public');
    setError(null);
  }, [video]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!video) return;
    setSaving(true);
    setError(null);
    try {
      const saved = await updateVideo(video.id, { title: title.trim(), description, tags: parseTags(tags), visibility });
      props.onSaved(saved);
      props.onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not save: the server did not answer.');
    } finally {
      setSaving(false);
    }
  };

  return (
    <dialog ref={ref} aria-labelledby="edit-video-heading" onClose={props.onClose}>
      <form class="dialog-body" onSubmit={submit}>
        <h2 id="edit-video-heading">Edit details</h2>
        <label class="field">
          Title
          <input type="text" required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label class="field">
          Description
          <textarea maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <label class="field">
          Tags
          <input type="text" value={tags} placeholder="travel, drone, 4k" onInput={(e) => setTags(e.currentTarget.value)} />
          <span class="field-hint">Separate tags with commas.</span>
        </label>
        <label class="field">
          Visibility
          <select value={visibility} onChange={(e) => setVisibility(e.currentTarget.value as Visibility)}>
            <option value="public">Public: listed, anyone can watch</option>
            <option value="unlisted">Unlisted: anyone with the link can watch</option>
            <option value="private">Private: only you and admins</option>
          </select>
        </label>
        {error && <p class="error-banner" role="alert">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="button ghost" onClick={props.onClose}>Cancel</button>
          <button type="submit" class="button primary" disabled={saving || title.trim() === ''}>{saving ? 'Saving…' : 'Save'}</button>
        </div>
      </form>
    </dialog>
  );
}

export function DeleteVideoDialog(props: { video: Video | null; onClose: () => void; onDeleted: (id: string) => void }) {
  const { video } = props;
  const ref = useModal(video !== null);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setError(null), [video]);

  const confirm = async () => {
    if (!video) return;
    setDeleting(true);
    try {
      await deleteVideo(video.id);
      props.onDeleted(video.id);
      props.onClose();
    } catch (err) {
      // Already gone is what the user wanted.
      if (err instanceof ApiError && err.status === 404) {
        props.onDeleted(video.id);
        props.onClose();
      } else {
        setError(err instanceof ApiError ? err.message : 'Could not delete: the server did not answer.');
      }
    } finally {
      setDeleting(false);
    }
  };

  return (
    <dialog ref={ref} aria-labelledby="delete-video-heading" onClose={props.onClose}>
      <div class="dialog-body">
        <h2 id="delete-video-heading">Delete “{video?.title}”?</h2>
        <p>The original upload, every rendition, the poster and the storyboard are removed. This cannot be undone.</p>
        {error && <p class="error-banner" role="alert">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="button ghost" onClick={props.onClose}>Keep it</button>
          <button type="button" class="button danger solid" onClick={confirm} disabled={deleting}>{deleting ? 'Deleting…' : 'Delete video'}</button>
        </div>
      </div>
    </dialog>
  );
}
