/**
 * Every enrichment stage, in the order they are queued after a video becomes ready. Adding a
 * stage: write its module (see video-stage.ts) and list it here.
 */
import { previewStage } from './preview.js';
import { qualityStage } from './quality.js';
import { thumbnailsStage } from './thumbnails.js';
import type { AnyVideoStage } from './video-stage.js';

export const STAGES: readonly AnyVideoStage[] = [thumbnailsStage, previewStage, qualityStage];

export function findStage(name: string): AnyVideoStage | undefined {
  return STAGES.find((stage) => stage.name === name);
}
