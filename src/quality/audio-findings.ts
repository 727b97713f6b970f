/**
 * What the audio branches of the source analysis found (source-graph.ts): silent spans
 * (silencedetect), loudness (ebur128: integrated, range, true peak) and clipping.
 *
 * Clipping is counted as samples at or above −0.5 dBFS. A clipped waveform's flat tops sit exactly
 * at full scale only in PCM: after AAC or MP3 they ripple within a fraction of a dB of it (a tone
 * driven 20 dB into clipping and AAC-encoded has ~40 % of its samples at or above −0.5 dBFS and
 * under 1 % at or above −0.1 dBFS), so an exact-full-scale count would miss most real uploads. The
 * cost of the looser level is that a clean waveform that legitimately reaches full scale counts
 * too (a 0 dBFS sine: ~21 % of its samples) — such audio clips in any lossy encode anyway.
 */
import path from 'node:path';
import { metadataNumber, readMetadataLog } from './metadata-log.js';
import { DETECTION } from './quality-thresholds.js';
import { SOURCE_LOGS } from './source-graph.js';
import { makeSpan, mergeSpans, type Span, SpanCollector, spanFinding, type SpanFinding } from './spans.js';

export interface LoudnessFinding {
  /** EBU R128 integrated loudness, LUFS; null when nothing passed the gate (silence). */
  integratedLufs: number | null;
  /** Loudness range, LU. */
  rangeLu: number | null;
  /** Highest true peak of any channel, dBTP; null for digital silence. */
  truePeakDbtp: number | null;
}

export interface ClippingFinding extends SpanFinding {
  /** Samples (all channels) at or above `levelDbfs`, and their share of every sample. */
  clippedSamples: number;
  samples: number;
  share: number;
  levelDbfs: number;
}

export interface AudioFindings {
  streamIndex: number;
  silence: SpanFinding;
  loudness: LoudnessFinding;
  clipping: ClippingFinding;
}

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

export async function readAudioFindings(options: { workDir: string; streamIndex: number; channels: number; sampleRate: number }): Promise<AudioFindings> {
  const { workDir, streamIndex } = options;
  const channels = Math.max(1, options.channels);

  // Clipping windows first: they also tell where the audio ends.
  const clipped: Span[] = [];
  let clippedSamples = 0;
  let samples = 0;
  let endSec = 0;
  await readMetadataLog(path.join(workDir, SOURCE_LOGS.clipping), (frame) => {
    const share = metadataNumber(frame.values.get('lavfi.astats.Overall.DC_offset'));
    // astats counts samples per channel.
    const perChannel = metadataNumber(frame.values.get('lavfi.astats.Overall.Number_of_samples'));
    if (!Number.isFinite(perChannel) || !Number.isFinite(frame.ptsTime)) return;
    const windowSamples = perChannel * channels;
    const windowSec = perChannel / Math.max(1, options.sampleRate);
    samples += windowSamples;
    endSec = Math.max(endSec, frame.ptsTime + windowSec);
    if (Number.isFinite(share) && share > 0) {
      clippedSamples += Math.round(share * windowSamples);
      if (share >= DETECTION.clipWindowShare) clipped.push(makeSpan(frame.ptsTime, frame.ptsTime + windowSec));
    }
  });

  const silence = new SpanCollector();
  await readMetadataLog(path.join(workDir, SOURCE_LOGS.silence), (frame) => {
    const v = frame.values;
    if (v.has('lavfi.silence_start')) silence.start(metadataNumber(v.get('lavfi.silence_start')));
    if (v.has('lavfi.silence_end')) silence.end(metadataNumber(v.get('lavfi.silence_end')));
  });

  let integrated = Number.NaN;
  let range = Number.NaN;
  let truePeak = 0;
  await readMetadataLog(path.join(workDir, SOURCE_LOGS.loudness), (frame) => {
    // Integrated loudness and range are running values: the last frame's are the whole stream's.
    const i = metadataNumber(frame.values.get('lavfi.r128.I'));
    const lra = metadataNumber(frame.values.get('lavfi.r128.LRA'));
    if (Number.isFinite(i)) integrated = i;
    if (Number.isFinite(lra)) range = lra;
    // Linear; the highest of the stream.
    const peak = metadataNumber(frame.values.get('lavfi.r128.true_peak'));
    if (Number.isFinite(peak)) truePeak = Math.max(truePeak, peak);
  });

  return {
    streamIndex,
    silence: spanFinding(silence.finish(endSec)),
    loudness: {
      // ebur128 reports −70 LUFS (its absolute gate) when no block passed it: that is "no loudness".
      integratedLufs: Number.isFinite(integrated) && integrated > -70 ? round(integrated, 1) : null,
      rangeLu: Number.isFinite(range) && Number.isFinite(integrated) && integrated > -70 ? round(range, 1) : null,
      truePeakDbtp: truePeak > 0 ? round(20 * Math.log10(truePeak), 1) : null,
    },
    clipping: {
      ...spanFinding(mergeSpans(clipped, DETECTION.clipWindowSec * 0.01)),
      clippedSamples,
      samples,
      share: samples > 0 ? Number((clippedSamples / samples).toFixed(5)) : 0,
      levelDbfs: DETECTION.clipLevelDbfs,
    },
  };
}
