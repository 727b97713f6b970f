/**
 * Measures computed from a small decoded frame (packed RGB24, as ffmpeg's `-f rawvideo -pix_fmt
 * rgb24` writes it): what ffmpeg's filters do not give directly. All pure functions over a few
 * thousand pixels — microseconds per frame, so a whole video's candidates cost next to nothing.
 *
 * - colourfulness: Hasler & Süsstrunk, "Measuring colourfulness in natural images" (2003).
 * - Laplacian variance: the classic focus measure (Pech-Pacheco et al., 2000).
 * - saliency: frequency-tuned saliency (Achanta et al., 2009) — a pixel stands out by how far its
 *   (slightly blurred) colour is from the frame's mean colour — plus local detail (gradient energy),
 *   because in video the subject is usually also where the detail is. No model, no training data.
 * - difference hash: 64-bit dHash of the luma, for "is this frame a near-copy of that one".
 */

export interface RgbFrame {
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major, R G B. */
  data: Uint8Array;
}

/** BT.709 luma of every pixel, 0–255. */
export function lumaOf(frame: RgbFrame): Float32Array {
  const { data } = frame;
  const luma = new Float32Array(frame.width * frame.height);
  for (let i = 0, p = 0; i < luma.length; i++, p += 3) {
    luma[i] = 0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]!;
  }
  return luma;
}

/** Hasler–Süsstrunk M: ≈ 0 for grey, ≈ 15 "slightly", ≈ 33 "moderately", ≥ 59 "highly" colourful. */
export function colourfulness(frame: RgbFrame): number {
  const { data } = frame;
  const n = frame.width * frame.height;
  let sumRg = 0;
  let sumYb = 0;
  let sumRg2 = 0;
  let sumYb2 = 0;
  for (let p = 0; p < n * 3; p += 3) {
    const r = data[p]!;
    const g = data[p + 1]!;
    const b = data[p + 2]!;
    const rg = r - g;
    const yb = 0.5 * (r + g) - b;
    sumRg += rg;
    sumYb += yb;
    sumRg2 += rg * rg;
    sumYb2 += yb * yb;
  }
  const meanRg = sumRg / n;
  const meanYb = sumYb / n;
  const varRg = Math.max(0, sumRg2 / n - meanRg * meanRg);
  const varYb = Math.max(0, sumYb2 / n - meanYb * meanYb);
  return Math.sqrt(varRg + varYb) + 0.3 * Math.sqrt(meanRg * meanRg + meanYb * meanYb);
}

/** Variance of the 4-neighbour Laplacian of the luma: high for crisp detail, near 0 for blur or flat frames. */
export function laplacianVariance(luma: Float32Array, width: number, height: number): number {
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      sum += lap;
      sum2 += lap * lap;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sum2 / n - mean * mean;
}

export interface SalientRegion {
  /** Centre of the salient region, 0–1 across the frame (x rightwards, y downwards). */
  x: number;
  y: number;
  /** How concentrated saliency is: the top quarter of cells' share of all saliency (0.25 = uniform, → 1 = one spot). */
  concentration: number;
}

/**
 * Where the subject probably is: per pixel, colour distance from the frame's mean (after a 3×3
 * blur, as Achanta et al.) plus gradient magnitude, both normalised to the frame's maximum; pooled
 * into cells of about 8×8 px; the centroid of the most salient quarter of cells.
 */
export function salientRegion(frame: RgbFrame): SalientRegion {
  const { width: w, height: h, data } = frame;
  const n = w * h;
  const luma = lumaOf(frame);
  let meanR = 0;
  let meanG = 0;
  let meanB = 0;
  for (let p = 0; p < n * 3; p += 3) {
    meanR += data[p]!;
    meanG += data[p + 1]!;
    meanB += data[p + 2]!;
  }
  meanR /= n;
  meanG /= n;
  meanB /= n;

  const colour = new Float32Array(n);
  const detail = new Float32Array(n);
  let maxColour = 0;
  let maxDetail = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const p = ((y + dy) * w + x + dx) * 3;
          r += data[p]!;
          g += data[p + 1]!;
          b += data[p + 2]!;
        }
      }
      const dr = r / 9 - meanR;
      const dg = g / 9 - meanG;
      const db = b / 9 - meanB;
      colour[i] = Math.sqrt(dr * dr + dg * dg + db * db);
      // Sobel magnitude of the luma.
      const gx = luma[i - w + 1]! + 2 * luma[i + 1]! + luma[i + w + 1]! - luma[i - w - 1]! - 2 * luma[i - 1]! - luma[i + w - 1]!;
      const gy = luma[i + w - 1]! + 2 * luma[i + w]! + luma[i + w + 1]! - luma[i - w - 1]! - 2 * luma[i - w]! - luma[i - w + 1]!;
      detail[i] = Math.sqrt(gx * gx + gy * gy);
      if (colour[i]! > maxColour) maxColour = colour[i]!;
      if (detail[i]! > maxDetail) maxDetail = detail[i]!;
    }
  }

  const cell = Math.max(2, Math.round(Math.min(w, h) / 9));
  const columns = Math.ceil(w / cell);
  const rows = Math.ceil(h / cell);
  const cells: Array<{ x: number; y: number; s: number }> = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < columns; col++) {
      let s = 0;
      let count = 0;
      for (let y = row * cell; y < Math.min(h, (row + 1) * cell); y++) {
        for (let x = col * cell; x < Math.min(w, (col + 1) * cell); x++) {
          const i = y * w + x;
          s += (maxColour > 0 ? colour[i]! / maxColour : 0) + (maxDetail > 0 ? detail[i]! / maxDetail : 0);
          count++;
        }
      }
      cells.push({ x: (col + 0.5) * cell / w, y: (row + 0.5) * cell / h, s: count > 0 ? s / count : 0 });
    }
  }
  const total = cells.reduce((acc, c) => acc + c.s, 0);
  if (total <= 0) return { x: 0.5, y: 0.5, concentration: 0.25 };
  const top = [...cells].sort((a, b) => b.s - a.s).slice(0, Math.max(1, Math.round(cells.length / 4)));
  const topTotal = top.reduce((acc, c) => acc + c.s, 0);
  return {
    x: Math.min(1, Math.max(0, top.reduce((acc, c) => acc + c.x * c.s, 0) / topTotal)),
    y: Math.min(1, Math.max(0, top.reduce((acc, c) => acc + c.y * c.s, 0) / topTotal)),
    concentration: topTotal / total,
  };
}

/**
 * dHash: the luma area-averaged down to 9×8, one bit per horizontal neighbour pair (is the left one
 * brighter?). Frames that look alike differ in few bits, whatever their exposure drift or encode noise.
 */
export function differenceHash(luma: Float32Array, width: number, height: number): bigint {
  const cols = 9;
  const rows = 8;
  const cells = new Float64Array(cols * rows);
  for (let row = 0; row < rows; row++) {
    const y0 = Math.floor((row * height) / rows);
    const y1 = Math.max(y0 + 1, Math.floor(((row + 1) * height) / rows));
    for (let col = 0; col < cols; col++) {
      const x0 = Math.floor((col * width) / cols);
      const x1 = Math.max(x0 + 1, Math.floor(((col + 1) * width) / cols));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += luma[y * width + x]!;
      cells[row * cols + col] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  let hash = 0n;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols - 1; col++) {
      hash = (hash << 1n) | (cells[row * cols + col]! > cells[row * cols + col + 1]! ? 1n : 0n);
    }
  }
  return hash;
}

export function hammingDistance(a: bigint, b: bigint): number {
  let x = a ^ b;
  let bits = 0;
  while (x > 0n) {
    bits += Number(x & 1n);
    x >>= 1n;
  }
  return bits;
}

/** Mean R, G, B. */
export function meanColour(frame: RgbFrame): [number, number, number] {
  const { data } = frame;
  const n = frame.width * frame.height;
  let r = 0;
  let g = 0;
  let b = 0;
  for (let p = 0; p < n * 3; p += 3) {
    r += data[p]!;
    g += data[p + 1]!;
    b += data[p + 2]!;
  }
  return [r / n, g / n, b / n];
}
