import { describe, expect, it } from 'vitest';
import { FfmpegError, PermanentError, TimeoutError, UnsupportedMediaError } from '../../src/errors.js';
import { failureReasonOf } from '../../src/observability/job-failure-reason.js';
import { LeaseLostError, ShutdownError } from '../../src/queue/worker.js';

describe('failureReasonOf', () => {
  it('gives a bounded label: the typed error\'s code, else its class, never the message', () => {
    expect(failureReasonOf(new UnsupportedMediaError('not a recognised video: /tmp/x/abc.mp4'))).toBe('unsupported_media');
    expect(failureReasonOf(new FfmpegError('ffmpeg exited with 1', 1, null, 'tail'))).toBe('ffmpeg_failed');
    expect(failureReasonOf(new TimeoutError('ffmpeg ran for 6 h'))).toBe('timeout');
    expect(failureReasonOf(new PermanentError('chunk 3 has 2 segments, expected 3'))).toBe('permanent');
    expect(failureReasonOf(new ShutdownError())).toBe('shutdown');
    expect(failureReasonOf(new LeaseLostError('job-1'))).toBe('lease_lost');
    expect(failureReasonOf(new Error('ECONNRESET'))).toBe('transient');
    expect(failureReasonOf('a string')).toBe('transient');
  });
});
