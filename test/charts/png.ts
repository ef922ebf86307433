import { inflateSync } from 'node:zlib';

/** What a PNG says about itself: size and pixels (RGBA, 8 bits). Enough of the format to check what resvg writes. */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** Row-major RGBA, 4 bytes a pixel. */
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A small PNG reader for tests (PNG specification, ISO/IEC 15948: chunks, IHDR, zlib IDAT, the five filter types).
 * It handles 8-bit RGBA without interlacing, what resvg produces, and throws on anything else.
 */
export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  let offset = 8;
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlace: body[12]!,
      };
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!header) throw new Error('not a PNG: no IHDR');
  if (!ended) throw new Error('truncated PNG: no IEND');
  if (header.bitDepth !== 8 || header.colorType !== 6 || header.interlace !== 0) {
    throw new Error(`unsupported PNG: depth ${header.bitDepth}, colour type ${header.colorType}`);
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = header.width * 4;
  const pixels = Buffer.alloc(stride * header.height);
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? pixels[y * stride + x - 4]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? pixels[(y - 1) * stride + x - 4]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + x] = (line[x]! + predicted) & 0xff;
    }
  }
  return { width: header.width, height: header.height, bitDepth: header.bitDepth, colorType: header.colorType, pixels };
}

/** Pixels whose colour differs from `rgb` (the background). */
export function pixelsUnlike(png: DecodedPng, rgb: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += 4) {
    if (png.pixels[i] !== rgb[0] || png.pixels[i + 1] !== rgb[1] || png.pixels[i + 2] !== rgb[2]) n += 1;
  }
  return n;
}

/** Pixels of exactly this colour. */
export function pixelsOf(png: DecodedPng, rgb: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += 4) {
    if (png.pixels[i] === rgb[0] && png.pixels[i + 1] === rgb[1] && png.pixels[i + 2] === rgb[2]) n += 1;
  }
  return n;
}
