/**
 * analyzeSource: one ffmpeg run over a source (source-graph.ts), then its logs read into the
 * findings of the report (video-findings.ts, audio-findings.ts).
 */
import { createProgressParser } from '../media/ffmpeg-progress.js';
import { runProcess } from '../media/ffmpeg-process.js';
import type { MediaInfo } from '../media/media-info.js';
import { demuxerOf } from '../pipeline/ladder-command.js';
import { type AudioFindings, readAudioFindings } from './audio-findings.js';
import { DETECTION, ISSUE_MINIMUMS } from './quality-thresholds.js';
import { buildSourceGraph } from './source-graph.js';
import { readVideoFindings, type VideoFindings } from './video-findings.js';

export interface SourceFindings {
  durationSec: number;
  video: VideoFindings | null;
  audio: AudioFindings | null;
}

export interface AnalyzeSourceOptions {
  ffmpegPath: string;
  /** Absolute path of the file (given to ffmpeg as `file:`, with only the probed demuxer allowed). */
  inputPath: string;
  media: MediaInfo;
  /** Scratch directory: ffmpeg runs there and writes its logs there. */
  workDir: string;
  sampleIntervalSec?: number;
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  /** 0–1 of the source read. */
  onProgress?: (fraction: number) => void;
}

/** ffmpeg arguments of the analysis run (exported for tests and for reading). */
export function sourceAnalysisArgs(options: { inputPath: string; media: MediaInfo; audioStreamIndex: number | null; sampleIntervalSec: number }): string[] {
  const graph = buildSourceGraph(options);
  return [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-progress', 'pipe:1', '-nostats', '-stats_period', '1',
    '-protocol_whitelist', 'file', '-f', demuxerOf(options.media),
    // Coded frames, not rotated ones: idet must see the fields as lines.
    '-noautorotate',
    '-i', `file:${options.inputPath}`,
    '-filter_complex', graph.filterComplex,
    ...graph.outputs.flatMap((label) => ['-map', label]),
    '-f', 'null', '-',
  ];
}

export async function analyzeSource(options: AnalyzeSourceOptions): Promise<SourceFindings> {
  const { media, workDir } = options;
  const sampleIntervalSec = options.sampleIntervalSec ?? DETECTION.sampleIntervalSec;
  // The default track: the one the ladder delivers (probeMedia lists the default-flagged one first).
  const audio = media.audio[0] ?? null;
  if (!media.video && !audio) return { durationSec: media.durationSec, video: null, audio: null };

  const onLine = createProgressParser((progress) => {
    if (media.durationSec > 0) options.onProgress?.(Math.min(1, progress.outTimeSec / media.durationSec));
  });
  await runProcess({
    command: options.ffmpegPath,
    args: sourceAnalysisArgs({ inputPath: options.inputPath, media, audioStreamIndex: audio?.index ?? null, sampleIntervalSec }),
    cwd: workDir,
    timeoutMs: options.timeoutMs,
    killGraceMs: options.killGraceMs,
    signal: options.signal,
    onStdoutLine: onLine,
  });

  return {
    durationSec: media.durationSec,
    video: media.video
      ? await readVideoFindings({ workDir, video: media.video, sampleIntervalSec, interlaceRules: ISSUE_MINIMUMS })
      : null,
    audio: audio
      ? await readAudioFindings({ workDir, streamIndex: audio.index, channels: audio.channels, sampleRate: audio.sampleRate })
      : null,
  };
}
