/**
 * The reference a rendition is compared with: the source put through the ladder's own filter graph
 * (buildLadderCommand in src/pipeline/ladder-command.ts) — the same autorotation, deinterlacer,
 * HDR tone-mapping, frame-rate conversion and bicubic scaling to the rung's size that the encoder
 * was fed. PSNR and SSIM then measure what encoding lost at that rung, not the (intended) resize or
 * tone-map, and the frames pair one to one because the reference has the rung's exact frame rate.
 *
 * Rather than copy that graph (and drift when the ladder changes), we ask the ladder for its
 * command and keep the chains its video outputs depend on, with their labels renamed so several
 * such graphs can share one run.
 */
import type { MediaInfo } from '../media/media-info.js';
import { buildLadderCommand } from '../pipeline/ladder-command.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';

interface Chain {
  inputs: string[];
  body: string;
  outputs: string[];
}

/** Splits a filtergraph at `;` outside quotes. */
function splitChains(graph: string): string[] {
  const chains: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < graph.length; i += 1) {
    const c = graph[i]!;
    if (c === '\\' && i + 1 < graph.length) {
      current += c + graph[i + 1];
      i += 1;
      continue;
    }
    if (c === "'") quoted = !quoted;
    if (c === ';' && !quoted) {
      chains.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim()) chains.push(current);
  return chains;
}

function parseChain(text: string): Chain {
  let rest = text.trim();
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (let m = /^\[([^\]]+)\]/.exec(rest); m; m = /^\[([^\]]+)\]/.exec(rest)) {
    inputs.push(m[1]!);
    rest = rest.slice(m[0].length).trimStart();
  }
  for (let m = /\[([^\]]+)\]$/.exec(rest); m; m = /\[([^\]]+)\]$/.exec(rest)) {
    outputs.unshift(m[1]!);
    rest = rest.slice(0, rest.length - m[0].length).trimEnd();
  }
  return { inputs, body: rest, outputs };
}

/** `0:3`, `0:v:0`: a stream of an input file rather than a link between filters. */
const isStreamSpecifier = (label: string) => /^\d+(:|$)/.test(label);

export interface ReferenceGraph {
  /** Filter chains to add to the comparison graph. */
  chains: string[];
  /** Link label (with brackets) carrying the reference of each rung, in plan.video order. */
  outputs: string[];
}

/**
 * The ladder's video graph for `plan` over input number `inputIndex`, labels prefixed with
 * `prefix`. With `inputLabel`, the graph reads the video from that link instead of the input
 * (the quality run shares one decode between this graph and the source analysis). Unused outputs
 * of the kept chains (none today) are sent to a nullsink.
 */
export function ladderReferenceGraph(options: { media: MediaInfo; plan: LadderPlan; inputIndex: number; prefix: string; inputLabel?: string }): ReferenceGraph {
  const { media, plan, inputIndex, prefix } = options;
  const args = buildLadderCommand({ inputPath: '/nonexistent', media, plan, outputDir: '/nonexistent', x264Preset: 'veryfast' });
  const at = args.indexOf('-filter_complex');
  if (at < 0 || plan.video.length === 0) throw new Error('the ladder has no video filter graph to compare against');
  const chains = splitChains(args[at + 1]!).map(parseChain);
  // The ladder maps its rungs' outputs in rung order.
  const rungOutputs = args
    .flatMap((arg, i) => (args[i - 1] === '-map' && /^\[[^\]]+\]$/.test(arg) ? [arg.slice(1, -1)] : []))
    .slice(0, plan.video.length);
  if (rungOutputs.length !== plan.video.length) throw new Error('the ladder maps fewer video outputs than it has rungs');

  // Keep the chains the rung outputs depend on.
  const needed = new Set(rungOutputs);
  const kept = new Set<Chain>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const chain of chains) {
      if (kept.has(chain) || !chain.outputs.some((o) => needed.has(o))) continue;
      kept.add(chain);
      changed = true;
      for (const input of chain.inputs) if (!isStreamSpecifier(input)) needed.add(input);
    }
  }

  const out: string[] = [];
  // Where the graph reads its input: the file's stream, or shares of `inputLabel`.
  const inputReads = [...kept].flatMap((c) => c.inputs.filter(isStreamSpecifier)).length;
  const shares: string[] = [];
  if (options.inputLabel) {
    if (inputReads === 1) shares.push(options.inputLabel);
    else {
      for (let i = 0; i < inputReads; i += 1) shares.push(`[${prefix}in${i}]`);
      out.push(`${options.inputLabel}split=${inputReads}${shares.join('')}`);
    }
  }
  const rename = (label: string) => {
    if (!isStreamSpecifier(label)) return `[${prefix}${label}]`;
    return options.inputLabel ? shares.shift()! : `[${label.replace(/^\d+/, String(inputIndex))}]`;
  };
  const consumed = new Set([...kept].flatMap((c) => c.inputs));
  for (const chain of chains) {
    if (!kept.has(chain)) continue;
    const outputs = chain.outputs.map(rename);
    out.push(`${chain.inputs.map(rename).join('')}${chain.body}${outputs.join('')}`);
    chain.outputs.forEach((o, i) => {
      if (!consumed.has(o) && !rungOutputs.includes(o)) out.push(`${outputs[i]}nullsink`);
    });
  }
  return { chains: out, outputs: rungOutputs.map((o) => `[${prefix}${o}]`) };
}
