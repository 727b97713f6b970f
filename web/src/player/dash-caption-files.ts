/**
 * Makes up for two gaps in how dash.js (5.2.1) handles a text track given as one whole WebVTT file
 * (the Representation's BaseURL, as our MPD does), so that picked captions always show:
 *
 * - A file that arrives after a seek which started while it loaded is thrown away unparsed (the
 *   symptom reported as Dash-Industry-Forum/dash.js#5135, open: "complete-file WebVTT … produces
 *   zero cues"). A seek marks such a track as buffered to the end at once (its buffer controller,
 *   NotFragmentedTextBufferController, counts every time as buffered), and a file that arrives for a
 *   track buffered to the end is dropped: the track keeps 0 cues until it is picked again. A viewer
 *   meets it by picking captions and seeking before the file is in: on a slow link, or a slow origin
 *   (the S3-backed one of the scale-out test run). The track is then picked again, and dash.js loads
 *   the file anew (a file it did parse stays in its cache: picking again costs no request).
 * - dash.js keeps a file's cues to itself and gives the element's track only those near the
 *   playhead, refreshed on a seek or on the element's `timeupdate`, which a paused element does not
 *   send: captions picked while paused stayed empty until playback went on. Once dash.js has parsed
 *   a file, a paused element gets a `timeupdate`.
 */
import type { MediaPlayerClass } from 'dashjs';

/** What dash.js's fragment events carry of a request (FragmentRequest, dashjs index.d.ts). */
interface LoadRequest {
  mediaType: string;
  type: string | null;
}

export function watchCaptionFiles(options: {
  player: MediaPlayerClass;
  media: HTMLMediaElement;
  /** Picks the current text track again, so that dash.js loads its file again if it dropped it. */
  pickAgain(): void;
}): () => void {
  const { player, media, pickAgain } = options;
  const loading = new Set<LoadRequest>();
  const overtakenBySeek = new WeakSet<LoadRequest>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  // A whole-file text track is loaded as its "initialization segment".
  const isCaptionFile = (request: LoadRequest) => request.mediaType === 'text' && request.type === 'InitializationSegment';

  const onStarted = (event: { request: LoadRequest }) => {
    if (isCaptionFile(event.request)) loading.add(event.request);
  };
  const onSeeking = () => {
    for (const request of loading) overtakenBySeek.add(request);
  };
  const onCompleted = (event: { request: LoadRequest }) => {
    const { request } = event;
    if (!loading.delete(request)) return;
    // This listener runs before dash.js's own (it was added first): act once dash.js has parsed or
    // dropped the file.
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (overtakenBySeek.has(request)) pickAgain();
      if (media.paused) media.dispatchEvent(new Event('timeupdate'));
    }, 0);
    timers.add(timer);
  };
  const onAbandoned = (event: { request: object }) => {
    loading.delete(event.request as LoadRequest);
  };

  player.on('fragmentLoadingStarted', onStarted);
  player.on('fragmentLoadingCompleted', onCompleted);
  player.on('fragmentLoadingAbandoned', onAbandoned);
  media.addEventListener('seeking', onSeeking);
  return () => {
    player.off('fragmentLoadingStarted', onStarted);
    player.off('fragmentLoadingCompleted', onCompleted);
    player.off('fragmentLoadingAbandoned', onAbandoned);
    media.removeEventListener('seeking', onSeeking);
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    loading.clear();
  };
}
