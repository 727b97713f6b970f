/**
 * Per-stream totals from one pass over a file's packets (`ffprobe -show_entries packet=…`), without
 * decoding. Container headers lie — a fragmented MP4 claims 143165 s, a truncated one claims 6422 s
 * with no data behind it, Matroska reports its time base as the average frame rate — so the probe
 * measures what is really there: packet count, bytes and the time span of each stream.
 *
 * Fed line by line, so memory stays constant however long the file is.
 */

export interface StreamPacketStats {
  /** Packets that will be presented (edit-list discards, flag 'D', are not counted). */
  packets: number;
  bytes: number;
  /** Earliest / latest packet time (pts, else dts) in seconds; null when no packet carried a time. */
  firstSec: number | null;
  lastSec: number | null;
  /** Latest packet time plus its duration. */
  endSec: number | null;
}

/** The `-show_entries` value and `-of` writer the scanner parses. */
export const PACKET_SCAN_ENTRIES = 'packet=stream_index,pts_time,dts_time,duration_time,size,flags';
export const PACKET_SCAN_WRITER = 'compact=p=1:nk=0';

function seconds(value: string | undefined): number | null {
  if (value === undefined || value === 'N/A' || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export class PacketScan {
  readonly streams = new Map<number, StreamPacketStats>();

  /** One line of ffprobe's compact writer, e.g. `packet|stream_index=0|pts_time=0.033|…|flags=K_`. */
  addLine(line: string): void {
    if (!line.startsWith('packet|')) return; // side data, blank lines
    const fields = new Map<string, string>();
    for (const token of line.split('|')) {
      const eq = token.indexOf('=');
      if (eq > 0) {
        const key = token.slice(0, eq);
        // Packet side data follows on the same line with its own keys; the packet's come first.
        if (!fields.has(key)) fields.set(key, token.slice(eq + 1));
      }
    }
    const index = Number(fields.get('stream_index'));
    if (!Number.isInteger(index)) return;
    if (fields.get('flags')?.includes('D')) return;

    let stats = this.streams.get(index);
    if (!stats) {
      stats = { packets: 0, bytes: 0, firstSec: null, lastSec: null, endSec: null };
      this.streams.set(index, stats);
    }
    stats.packets += 1;
    stats.bytes += Number(fields.get('size')) || 0;
    const time = seconds(fields.get('pts_time')) ?? seconds(fields.get('dts_time'));
    if (time === null) return;
    const end = time + Math.max(0, seconds(fields.get('duration_time')) ?? 0);
    stats.firstSec = stats.firstSec === null ? time : Math.min(stats.firstSec, time);
    stats.lastSec = stats.lastSec === null ? time : Math.max(stats.lastSec, time);
    stats.endSec = stats.endSec === null ? end : Math.max(stats.endSec, end);
  }

  get(index: number): StreamPacketStats | undefined {
    return this.streams.get(index);
  }
}
