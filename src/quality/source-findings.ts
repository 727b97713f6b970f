/** What the quality run measured on the source, read from its logs (video-findings.ts, audio-findings.ts). */
import type { AudioStreamInfo, MediaInfo } from '../media/media-info.js';
import { type AudioFindings, readAudioFindings } from './audio-findings.js';
import { ISSUE_MINIMUMS } from './quality-thresholds.js';
import { readVideoFindings, type VideoFindings } from './video-findings.js';

export interface SourceFindings {
  durationSec: number;
  video: VideoFindings | null;
  audio: AudioFindings | null;
}

export async function readSourceFindings(options: { workDir: string; media: MediaInfo; audio: AudioStreamInfo | null; sampleIntervalSec: number }): Promise<SourceFindings> {
  const { workDir, media, audio, sampleIntervalSec } = options;
  return {
    durationSec: media.durationSec,
    video: media.video ? await readVideoFindings({ workDir, video: media.video, sampleIntervalSec, interlaceRules: ISSUE_MINIMUMS }) : null,
    audio: audio ? await readAudioFindings({ workDir, streamIndex: audio.index, channels: audio.channels, sampleRate: audio.sampleRate }) : null,
  };
}
