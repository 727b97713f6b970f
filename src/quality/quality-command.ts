/**
 * The ONE ffmpeg run of a quality report: every input decoded once, the source's video and audio
 * split into the analysis filters (source-graph.ts) and — when renditions are scored — the same
 * decoded source also feeds the comparison's reference (comparison-graph.ts). Logs and stats files
 * land in the run's working directory.
 *
 * Orientation: when the source is also compared it is decoded with autorotation (as the ladder
 * decodes it, so reference and renditions match) and the analysis turns the frames back to their
 * coded orientation (rotation.ts); analysed alone it is decoded with `-noautorotate`.
 */
import type { AudioStreamInfo, MediaInfo } from '../media/media-info.js';
import { demuxerOf } from '../pipeline/ladder-command.js';
import { buildComparisonGraph, type ComparedFile, type Comparison } from './comparison-graph.js';
import { unrotateFilter } from './rotation.js';
import { buildSourceGraph } from './source-graph.js';

export interface QualityCommandOptions {
  /** The file whose own measures are reported (it may also be one of the compared files). */
  source: { path: string; media: MediaInfo; audio: AudioStreamInfo | null };
  comparison: Comparison | null;
  sampleIntervalSec: number;
  withVmaf: boolean;
}

export function buildQualityCommand(options: QualityCommandOptions): string[] {
  const { source, comparison } = options;
  const inputs: string[] = [];
  let inputCount = 0;
  const addInput = (file: ComparedFile, extra: string[] = []) => {
    // Only plain files, only the demuxer we expect: the same rule as every ffmpeg run on uploads.
    inputs.push('-protocol_whitelist', 'file', '-f', file.demuxer, ...extra, '-i', `file:${file.path}`);
    return inputCount++;
  };

  const chains: string[] = [];
  const outputs: string[] = [];
  let sourceInput: number | null = null;
  let sourceVideo: string | null = null;
  let unrotate: string | null = null;

  if (comparison && comparison.distorted.length > 0) {
    const referenceInput = addInput(comparison.reference);
    const distortedInputs = comparison.distorted.map((d) => addInput(d));
    const all = [{ path: comparison.reference.path, input: referenceInput }, ...comparison.distorted.map((d, i) => ({ path: d.path, input: distortedInputs[i]! }))];
    sourceInput = all.find((f) => f.path === source.path)?.input ?? null;
    let tap: { input: number; label: string } | null = null;
    if (sourceInput !== null && source.media.video) {
      // One decode for both: the analysis and the comparison each take a copy of the frames.
      chains.push(`[${sourceInput}:${source.media.video.index}]split=2[qtap][qanalysis]`);
      tap = { input: sourceInput, label: '[qtap]' };
      sourceVideo = '[qanalysis]';
      unrotate = unrotateFilter(source.media.video.rotation);
    }
    const graph = buildComparisonGraph({ ...comparison, referenceInput, distortedInputs, tap, withVmaf: options.withVmaf });
    chains.push(...graph.chains);
    outputs.push(...graph.outputs);
  }
  if (sourceInput === null) {
    sourceInput = addInput({ path: source.path, demuxer: demuxerOf(source.media) }, ['-noautorotate']);
    if (source.media.video) sourceVideo = `[${sourceInput}:${source.media.video.index}]`;
  }

  const analysis = buildSourceGraph({
    videoInput: sourceVideo,
    unrotate,
    audioInput: source.audio ? `[${sourceInput}:${source.audio.index}]` : null,
    audioSampleRate: source.audio?.sampleRate ?? 48000,
    sampleIntervalSec: options.sampleIntervalSec,
  });
  chains.push(...analysis.chains);
  outputs.push(...analysis.outputs);

  return [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-progress', 'pipe:1', '-nostats', '-stats_period', '1',
    ...inputs,
    '-filter_complex', chains.join(';'),
    ...outputs.flatMap((label) => ['-map', label]),
    '-f', 'null', '-',
  ];
}
