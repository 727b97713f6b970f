/**
 * Every enrichment stage, in the order they are queued after a video becomes ready. Adding a
 * stage: write its module (see video-stage.ts) and list it here.
 */
import type { AnyVideoStage } from './video-stage.js';

export const STAGES: readonly AnyVideoStage[] = [];

export function findStage(name: string): AnyVideoStage | undefined {
  return STAGES.find((stage) => stage.name === name);
}
