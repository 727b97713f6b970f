/**
 * Short clips with known defects for the quality report's tests, made with ffmpeg (lavfi sources
 * and the corpus) once per machine and cached under test-artifacts/generated/ by name. Each maker
 * says where its defect is, so tests can assert the report finds it there.
 */
import { cachedFfmpegOutput, corpusFile } from './media.js';

/** A cached ffmpeg output named for the quality tests. */
function cached(name: string, args: string[]): string {
  return cachedFfmpegOutput(`quality-${name}`, args);
}

const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
// testsrc2 at 480x270 happens to repeat on a period blockdetect takes for blocks (≈ 165): use 640x360 (≈ 19).
const SIZE = '640x360';

/** 5 s at 25 fps: moving pattern, BLACK from 2.0 to 3.5 s, pattern again; a tone throughout. */
export function blackSectionClip(): string {
  return cached('black-2.0-3.5.mp4', [
    '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=5`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=5',
    '-filter_complex', "[0:v]drawbox=color=black:t=fill:enable='between(t,2,3.5-0.001)'[v]",
    '-map', '[v]', '-map', '1:a', ...x264, '-c:a', 'aac',
  ]);
}

/** 5 s at 25 fps: moving pattern FROZEN (one frame repeated) from 1.5 to 3.5 s; a tone throughout. */
export function frozenSectionClip(): string {
  return cached('frozen-1.5-3.5.mp4', [
    '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=3`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=5',
    // Frame 37 (t = 1.48 s) shown 50 more times (2 s), then the pattern moves on.
    '-filter_complex', '[0:v]loop=loop=50:size=1:start=37,setpts=N/25/TB[v]',
    '-map', '[v]', '-map', '1:a', ...x264, '-c:a', 'aac', '-t', '5',
  ]);
}

/** 6 s: tone, SILENCE from 2.0 to 4.5 s, tone; over a moving pattern. */
export function silentSectionClip(): string {
  return cached('silent-2.0-4.5.mp4', [
    '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=6`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=6',
    '-filter_complex', "[1:a]volume=volume=0:enable='between(t,2,4.5)'[a]",
    '-map', '0:v', '-map', '[a]', ...x264, '-c:a', 'aac',
  ]);
}

/**
 * 3 s stereo AAC tone over a still pattern: `clipped` drives a −18 dBFS sine 20 dB into
 * full-scale clipping (flat tops) before encoding; otherwise it stays a clean −18 dBFS tone.
 */
export function toneClip(options: { clipped: boolean }): string {
  // volume works in float (no clipping); converting to 16-bit integers then cuts the tops flat.
  const chain = options.clipped ? 'pan=stereo|c0=c0|c1=c0,volume=20dB,aformat=sample_fmts=s16' : 'pan=stereo|c0=c0|c1=c0';
  return cached(`tone-${options.clipped ? 'clipped-s16' : 'clean'}.mp4`, [
    '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=3`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3',
    '-filter_complex', `[1:a]${chain}[a]`,
    '-map', '0:v', '-map', '[a]', ...x264, '-c:a', 'aac', '-b:a', '192k',
  ]);
}

/** The corpus' 1080p50 concert clip (2 s), woven into 25i top-field-first at 640x360 and tagged so. */
export function interlacedClip(): string {
  return cached('interlaced-tff.mp4', [
    '-i', corpusFile('mov_h264_pcm_1080p50__androidx_sowt-with-video.mov'),
    '-vf', 'scale=640:360,interlace=scan=tff:lowpass=0',
    ...x264, '-flags', '+ildct+ilme', '-x264opts', 'tff=1', '-crf', '18', '-an',
  ]);
}

/** The same clip, progressive at 50 fps and 640x360: interlaced's control. */
export function progressiveClip(): string {
  return cached('progressive-640x360.mp4', [
    '-i', corpusFile('mov_h264_pcm_1080p50__androidx_sowt-with-video.mov'),
    '-vf', 'scale=640:360', ...x264, '-crf', '18', '-an',
  ]);
}

/** The corpus' Big Buck Bunny 1080p24 clip (2.5 s) as a reference for degraded copies. */
export const DEGRADATION_REFERENCE = corpusFile('ts_mpeg2_mp2_1080p24__androidx_bbb_2500ms.ts');

/**
 * Copies of DEGRADATION_REFERENCE at 640x360: `mild` is an ordinary encode (CRF 23); `degraded` is
 * blurred heavily (Gaussian σ = 5) and encoded at CRF 38.
 */
export function degradedCopy(level: 'mild' | 'degraded'): string {
  const vf = level === 'mild' ? 'scale=640:360' : 'scale=640:360,gblur=sigma=5';
  return cached(`bbb-${level}.mp4`, ['-i', DEGRADATION_REFERENCE, '-vf', vf, ...x264, '-crf', level === 'mild' ? '23' : '38', '-c:a', 'aac']);
}

/** DEGRADATION_REFERENCE at 640x360 as old-style MPEG-2 at a coarse quantiser (q 25): visible 8x8 blocks. */
export function blockyCopy(): string {
  return cached('bbb-mpeg2-q25.mkv', ['-i', DEGRADATION_REFERENCE, '-vf', 'scale=640:360', '-c:v', 'mpeg2video', '-q:v', '25', '-an']);
}

/** 3 s of pattern under strong temporal noise (uniform ±20, σ ≈ 11.5), kept by a high-quality encode. */
export function noisyClip(): string {
  return cached('noisy.mp4', ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=3,noise=alls=20:allf=t`, ...x264, '-crf', '12']);
}
