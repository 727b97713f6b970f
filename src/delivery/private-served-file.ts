/**
 * The same file answered to one authorised viewer of a private video: `Cache-Control: private,
 * no-store`, so no shared cache (an edge nginx, a CDN) keeps a copy that others could be served.
 * The bytes and validators are shared with the public view; only the header arrays differ.
 */
import type { ServedFile } from './served-file.js';

export const PRIVATE_CACHE_CONTROL = 'private, no-store';

const views = new WeakMap<ServedFile, ServedFile>();

export function privateView(file: ServedFile): ServedFile {
  let view = views.get(file);
  if (view === undefined) {
    view = {
      ...file,
      okHeaders: withPrivateCaching(file.okHeaders),
      entityHeaders: withPrivateCaching(file.entityHeaders),
      notModifiedHeaders: withPrivateCaching(file.notModifiedHeaders),
    };
    views.set(file, view);
  }
  return view;
}

/** Flat `[name, value, …]` headers with Cache-Control's value replaced. */
function withPrivateCaching(headers: readonly string[]): string[] {
  const out = [...headers];
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === 'cache-control') out[i + 1] = PRIVATE_CACHE_CONTROL;
  return out;
}
