/** The quality report's pure parts: spans, summaries, stats-file parsing, graphs, issues, score and gate. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { AudioStreamInfo, MediaInfo, VideoStreamInfo } from '../../src/media/media-info.js';
import { planLadder } from '../../src/pipeline/ladder.js';
import type { AudioFindings } from '../../src/quality/audio-findings.js';
import { parsePsnrStats, parseSsimStats, parseVmafLog, PSNR_CAP_DB } from '../../src/quality/frame-scores.js';
import { ladderReferenceGraph } from '../../src/quality/ladder-reference.js';
import { evaluateGate } from '../../src/quality/quality-report.js';
import { findIssues, penaltyFor, scoreOf } from '../../src/quality/quality-score.js';
import { ISSUE_RULES } from '../../src/quality/quality-thresholds.js';
import { buildQualityCommand } from '../../src/quality/quality-command.js';
import type { SourceFindings } from '../../src/quality/source-findings.js';
import { buildSourceGraph } from '../../src/quality/source-graph.js';
import { makeSpan, mergeSpans, SpanCollector, spanFinding, uncoveredSec } from '../../src/quality/spans.js';
import { percentile, summarize } from '../../src/quality/summary-stats.js';
import { interlaceVerdict, type VideoFindings } from '../../src/quality/video-findings.js';

const video = (overrides: Partial<VideoStreamInfo> = {}): VideoStreamInfo =>
  ({
    index: 0, codec: 'h264', profile: 'High', pixelFormat: 'yuv420p', bitDepth: 8, chroma: '420',
    codedWidth: 1920, codedHeight: 1080, rotation: 0, displayWidth: 1920, displayHeight: 1080, startSec: 0,
    fps: 30, fpsRational: { num: 30, den: 1 }, nominalFps: 30, isVfr: false, bitrateBps: null,
    interlaced: false, fieldOrder: 'progressive', colorTransfer: null, colorPrimaries: null, colorSpace: null, hdr: null,
    ...overrides,
  }) as VideoStreamInfo;
const stereo = { index: 1, codec: 'aac', profile: 'LC', channels: 2, channelLayout: 'stereo', sampleRate: 48000, language: null, bitrateBps: null } as AudioStreamInfo;
const media = (v: VideoStreamInfo | null, audio: AudioStreamInfo[] = [stereo]): MediaInfo =>
  ({ container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSec: 10, startSec: 0, sizeBytes: 1, bitrateBps: null, video: v, audio, subtitles: [] }) as MediaInfo;

const measure = (median: number) => ({ median, p95: median, max: median, maxAtSec: 0, samples: 20, spans: [] });
function videoFindings(overrides: Partial<VideoFindings> = {}): VideoFindings {
  return {
    frames: 300, sampleIntervalSec: 0.5, blur: measure(4), blockiness: measure(5), noise: measure(0.5),
    black: spanFinding([]), frozen: spanFinding([]),
    interlacing: { progressive: 300, tff: 0, bff: 0, undetermined: 0, verdict: 'progressive', fieldOrderTag: 'progressive', spans: [] },
    ...overrides,
  };
}
function audioFindings(overrides: Partial<AudioFindings> = {}): AudioFindings {
  return {
    streamIndex: 1, silence: spanFinding([]), loudness: { integratedLufs: -16, rangeLu: 6, truePeakDbtp: -1.5 },
    clipping: { ...spanFinding([]), clippedSamples: 0, samples: 960_000, share: 0, levelDbfs: -0.5 },
    ...overrides,
  };
}
const source = (v: Partial<VideoFindings> | null = {}, a: Partial<AudioFindings> | null = {}): SourceFindings => ({
  durationSec: 10,
  video: v === null ? null : videoFindings(v),
  audio: a === null ? null : audioFindings(a),
});

describe('spans', () => {
  it('closes a span left open at the end of the stream, merges neighbours and subtracts cover', () => {
    const c = new SpanCollector();
    c.start(1);
    c.end(2);
    c.start(8.5);
    expect(c.finish(10)).toEqual([makeSpan(1, 2), makeSpan(8.5, 10)]);
    expect(mergeSpans([makeSpan(3, 4), makeSpan(1, 2), makeSpan(2.05, 2.5)], 0.1)).toEqual([makeSpan(1, 2.5), makeSpan(3, 4)]);
    expect(uncoveredSec([makeSpan(0, 4)], [makeSpan(1, 2), makeSpan(3, 5)])).toBe(2);
  });
});

describe('summaries and stats files', () => {
  it('takes nearest-rank percentiles and ignores NaN', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 5)).toBe(5);
    expect(summarize([3, Number.NaN, 1, 2])).toMatchObject({ mean: 2, min: 1, max: 3, median: 2, count: 3 });
    expect(summarize([Number.NaN])).toBeNull();
  });

  it('reads luma PSNR (inf capped) and SSIM per frame', () => {
    const psnr = [
      'n:1 mse_avg:0.00 mse_y:0.00 mse_u:0.00 mse_v:0.00 psnr_avg:inf psnr_y:inf psnr_u:inf psnr_v:inf',
      'n:2 mse_avg:4.10 mse_y:5.20 mse_u:1.00 mse_v:1.10 psnr_avg:42.00 psnr_y:40.00 psnr_u:48.13 psnr_v:47.72',
    ].join('\n');
    expect(parsePsnrStats(psnr)).toEqual({ summary: { mean: (PSNR_CAP_DB + 40) / 2, min: 40, p5: 40 }, frames: 2 });
    expect(parseSsimStats('n:1 Y:0.990000 U:0.995 V:0.996 All:0.992 (20.97)\nn:2 Y:0.900000 U:0.9 V:0.9 All:0.9 (10)\n'))
      .toEqual({ summary: { mean: 0.945, min: 0.9, p5: 0.9 }, frames: 2 });
    expect(parseVmafLog(JSON.stringify({ frames: [{ frameNum: 0, metrics: { vmaf: 90 } }, { frameNum: 1, metrics: { vmaf: 80 } }] })))
      .toEqual({ mean: 85, min: 80, p5: 80 });
  });
});

describe('filter graphs', () => {
  it('measures video on every frame and on samples, and audio three ways, in one graph', () => {
    const graph = buildSourceGraph({ videoInput: '[0:0]', unrotate: null, audioInput: '[0:1]', audioSampleRate: 48000, sampleIntervalSec: 0.5 });
    const text = graph.chains.join(';');
    for (const filter of ['blackdetect', 'freezedetect', 'idet', 'blurdetect', 'blockdetect', 'convolution', 'signalstats', 'silencedetect', 'ebur128', 'aeval', 'astats']) {
      expect(text).toContain(filter);
    }
    expect(text).toContain('[0:0]split=2');
    expect(text).toContain('[0:1]asplit=3');
    // 100 ms clipping windows.
    expect(text).toContain('asetnsamples=n=4800');
    expect(graph.outputs).toEqual(['[qvideo]', '[qaudio]']);
    const audioOnly = buildSourceGraph({ videoInput: null, unrotate: null, audioInput: '[0:0]', audioSampleRate: 44100, sampleIntervalSec: 0.5 });
    expect(audioOnly.chains.join(';')).not.toContain('idet');
    expect(audioOnly.outputs).toEqual(['[qaudio]']);
  });

  it('decodes a source analysed alone once, coded orientation, plain files only', () => {
    const m = media(video({ rotation: 90 }));
    const args = buildQualityCommand({ source: { path: '/data/original', media: m, audio: stereo }, comparison: null, sampleIntervalSec: 0.5, withVmaf: false });
    expect(args.filter((a) => a === '-i')).toHaveLength(1);
    expect(args.slice(args.indexOf('-protocol_whitelist'), args.indexOf('-i') + 2)).toEqual(['-protocol_whitelist', 'file', '-f', 'mov', '-noautorotate', '-i', 'file:/data/original']);
    expect(args[args.indexOf('-filter_complex') + 1]).not.toContain('transpose');
  });

  it('takes the reference from the ladder’s own graph, relabelled, one output per rung', () => {
    const m = media(video({ hdr: 'pq', colorTransfer: 'smpte2084', interlaced: true, fieldOrder: 'tt' }));
    const plan = planLadder(m, { segmentSeconds: 4, maxFps: 60 });
    const graph = ladderReferenceGraph({ media: m, plan, inputIndex: 3, prefix: 'ref_' });
    const text = graph.chains.join(';');
    expect(graph.outputs).toHaveLength(plan.video.length);
    expect(text.startsWith('[3:0]')).toBe(true);
    expect(text).toContain('bwdif');
    expect(text).toContain('tonemap');
    expect(text).toContain(`scale=w=${plan.video[1]!.width}:h=${plan.video[1]!.height}:flags=bicubic`);
    expect(text).not.toMatch(/\[(s|o)\d+\]/);
    for (const label of graph.outputs) expect(label).toMatch(/^\[ref_/);
  });

  it('shares one decode of the source between the analysis and the reference, pairing each rendition with its rung', () => {
    const m = media(video({ displayWidth: 720, displayHeight: 1280, codedWidth: 1280, codedHeight: 720, rotation: 90 }));
    const plan = planLadder(m, { segmentSeconds: 4, maxFps: 60 });
    const args = buildQualityCommand({
      source: { path: '/src/original', media: m, audio: stereo },
      comparison: {
        reference: { path: '/src/original', demuxer: 'mov', media: m, plan },
        distorted: plan.video.map((_, i) => ({ name: `v${i}`, path: `/w/v${i}.mp4`, demuxer: 'mov' })),
      },
      sampleIntervalSec: 0.5,
      withVmaf: false,
    });
    // The source once (autorotated, like the ladder) plus each rendition; every input a plain file.
    expect(args.filter((a) => a === '-i')).toHaveLength(plan.video.length + 1);
    expect(args.filter((a) => a === '-protocol_whitelist')).toHaveLength(plan.video.length + 1);
    expect(args).not.toContain('-noautorotate');
    expect(args).toContain('file:/w/v1.mp4');
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    expect(graph).toContain('[0:0]split=2[qtap][qanalysis]');
    expect(graph).toContain('[qanalysis]transpose=cclock,split=2[qfull][qsampled]');
    expect(graph).toContain('[qtap]');
    expect(graph).not.toMatch(/\[0:0\](?!split=2\[qtap\])/);
    expect(graph).toContain('[qd1a][qr1a]psnr=stats_file=psnr-1.log');
    expect(graph).toContain('[qd1b][qr1b]ssim=stats_file=ssim-1.log');
    expect(graph).toContain('[0:1]asplit=3');
    expect(graph).not.toContain('libvmaf');
  });
});

describe('renditions of several codecs', () => {
  it('compares every copy of a rung (H.264, AV1, VP9) against that rung’s one reference', () => {
    const m = media(video({ displayWidth: 1280, displayHeight: 720, codedWidth: 1280, codedHeight: 720 }));
    const plan = planLadder(m, { segmentSeconds: 4, maxFps: 60 });
    const args = buildQualityCommand({
      source: { path: '/src/original', media: m, audio: null },
      comparison: {
        reference: { path: '/src/original', demuxer: 'mov', media: m, plan },
        distorted: [
          ...plan.video.map((_, i) => ({ name: `v${i}`, rung: i, path: `/w/v${i}.mp4`, demuxer: 'mov' })),
          { name: 'vp9/v0', rung: 0, path: '/w/vp9-v0.mp4', demuxer: 'mov' },
        ],
      },
      sampleIntervalSec: 0.5,
      withVmaf: false,
    });
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    // Rung 0's reference is split between its H.264 and its VP9 copy; the others feed one each.
    expect(graph).toMatch(/\[ref_o0\]split=2\[qref0_0\]\[qref0_1\]/);
    expect(graph).toContain(`[qd${plan.video.length}a][qr${plan.video.length}a]psnr`);
    expect(graph).not.toContain('[ref_o1]split');
  });
});

describe('issues, score and gate', () => {
  it('raises nothing for a clean source, and scores it 100', () => {
    const issues = findIssues(source(), []);
    expect(issues).toEqual([]);
    expect(scoreOf(issues)).toBe(100);
  });

  it('raises each issue at its threshold with a penalty between half and all of its weight', () => {
    const rule = ISSUE_RULES['excessive-blur'];
    expect(penaltyFor(rule, rule.threshold)).toBe(rule.weight / 2);
    expect(penaltyFor(rule, rule.worst + 10)).toBe(rule.weight);
    expect(penaltyFor(ISSUE_RULES['low-psnr-rendition'], 25)).toBe(15);

    const issues = findIssues(
      source(
        {
          blur: measure(8),
          blockiness: measure(60),
          noise: measure(4),
          black: spanFinding([makeSpan(0, 2)]),
          // 1 s of it is black: only 2 s count as frozen.
          frozen: spanFinding([makeSpan(1, 4)]),
          interlacing: { progressive: 0, tff: 290, bff: 10, undetermined: 0, verdict: 'tff', fieldOrderTag: 'tt', spans: [] },
        },
        {
          silence: spanFinding([makeSpan(5, 8)]),
          loudness: { integratedLufs: -5, rangeLu: 3, truePeakDbtp: 1 },
          clipping: { ...spanFinding([makeSpan(2, 3)]), clippedSamples: 20_000, samples: 960_000, share: 0.0208, levelDbfs: -0.5 },
        },
      ),
      [{ name: 'v1', label: '720p', width: 1280, height: 720, fps: 30, frames: 300, psnr: { mean: 27, min: 20, p5: 22 }, ssim: { mean: 0.8, min: 0.7, p5: 0.75 } }],
    );
    expect(issues.map((i) => i.code)).toEqual([
      'excessive-blur', 'compression-artifacts', 'noisy', 'black-frames', 'frozen-frames', 'interlaced',
      'silence', 'audio-clipping', 'too-loud', 'low-psnr-rendition',
    ]);
    expect(issues.find((i) => i.code === 'black-frames')!.spans).toEqual([makeSpan(0, 2)]);
    expect(issues.find((i) => i.code === 'low-psnr-rendition')!.rendition).toBe('v1');
    expect(scoreOf(issues)).toBe(0);
  });

  it('does not call short black, short freezes, brief silence or quiet-but-normal audio issues', () => {
    const issues = findIssues(
      source(
        { black: spanFinding([makeSpan(0, 0.6)]), frozen: spanFinding([makeSpan(3, 4.5)]) },
        { silence: spanFinding([makeSpan(0, 1.5)]), loudness: { integratedLufs: -24, rangeLu: 8, truePeakDbtp: -3 } },
      ),
      [],
    );
    expect(issues).toEqual([]);
    expect(findIssues(source({}, { loudness: { integratedLufs: -40, rangeLu: 2, truePeakDbtp: -20 } }), []).map((i) => i.code)).toEqual(['too-quiet']);
  });

  it('calls a source interlaced only when idet is clear about it', () => {
    const rules = { interlacedShare: 0.8, fieldOrderDominance: 0.8 };
    expect(interlaceVerdict({ progressive: 2, tff: 98, bff: 0 }, rules)).toBe('tff');
    expect(interlaceVerdict({ progressive: 0, tff: 3, bff: 97 }, rules)).toBe('bff');
    // testsrc2 fools idet both ways (measured: 152 TFF, 115 BFF, 33 progressive): mixed, not flagged.
    expect(interlaceVerdict({ progressive: 33, tff: 152, bff: 115 }, rules)).toBe('mixed');
    // A real progressive clip with idet's usual stray hits (the corpus AVI: 32 BFF, 55 progressive).
    expect(interlaceVerdict({ progressive: 55, tff: 0, bff: 32 }, rules)).toBe('progressive');
    expect(interlaceVerdict({ progressive: 0, tff: 0, bff: 0 }, rules)).toBe('undetermined');
  });

  it('gates on the score and says why', () => {
    const issues = findIssues(source({ blur: measure(9) }), []);
    expect(evaluateGate(scoreOf(issues), issues, { minScore: 50, action: 'flag' })).toEqual({ minScore: 50, action: 'flag', passed: true, reason: null });
    expect(evaluateGate(scoreOf(issues), issues, { minScore: 90, action: 'fail' })).toEqual({
      minScore: 90, action: 'fail', passed: false, reason: 'quality score 75 is below the minimum 90 (excessive-blur)',
    });
  });

  it('reads the gate from the configuration, refusing unknown actions', () => {
    const config = loadConfig({ env: { STREAMFORGE_QUALITY_MIN_SCORE: '70', STREAMFORGE_QUALITY_GATE_ACTION: 'fail' } });
    expect([config.qualityMinScore, config.qualityGateAction]).toEqual([70, 'fail']);
    expect(loadConfig({ env: {} })).toMatchObject({ qualityMinScore: 50, qualityGateAction: 'flag' });
    expect(() => loadConfig({ env: { STREAMFORGE_QUALITY_GATE_ACTION: 'unpublish' } })).toThrow(/STREAMFORGE_QUALITY_GATE_ACTION/);
    expect(() => loadConfig({ env: { STREAMFORGE_QUALITY_MIN_SCORE: '101' } })).toThrow(/STREAMFORGE_QUALITY_MIN_SCORE/);
  });
});
