/**
 * Progress of one video's processing, as viewers see it: an event on the bus for every report, and
 * a copy on the record at most every 2 s for late joiners and other processes. Each stage owns a
 * span of the overall 0–100 %, so the one-pass job and the chunk and assembly jobs of a chunked
 * encode report on the same scale.
 */
import type { VideoEventBus } from '../videos/video-events.js';
import type { VideoRepository } from '../videos/video-repository.js';

export type ProgressStage = 'probing' | 'analysing' | 'transcoding' | 'packaging';

/** Where each stage sits in the overall 0–100 progress. */
export const STAGE_SPAN: Record<ProgressStage, [number, number]> = {
  probing: [0, 2],
  analysing: [2, 5],
  transcoding: [5, 95],
  packaging: [95, 100],
};

export type ProgressReport = (stage: ProgressStage, stagePercent: number, etaMs: number | null) => void;

export function createProgressReporter(options: { videoId: string; videos: VideoRepository; events: VideoEventBus }): ProgressReport {
  const { videoId, videos, events } = options;
  let lastStored = 0;
  return (stage, stagePercent, etaMs) => {
    const [from, to] = STAGE_SPAN[stage];
    const percent = Math.round((from + ((to - from) * stagePercent) / 100) * 10) / 10;
    events.publish({ videoId, type: 'progress', stage, percent, etaMs, at: Date.now() });
    // The stored copy serves late joiners and other processes; every 2 s is plenty.
    if (Date.now() - lastStored > 2000) {
      lastStored = Date.now();
      void videos.update(videoId, { progress_json: JSON.stringify({ stage, percent, etaMs }) }).catch(() => {});
    }
  };
}
