import { inflateSync } from "node:zlib";

/** An 8-bit RGB(A) image: `channels` bytes per pixel, rows top to bottom. */
export interface Image {
  width: number;
  height: number;
  channels: 3 | 4;
  pixels: Uint8Array;
}

/**
 * Decodes a PNG as Chromium writes screenshots: 8-bit RGB or RGBA, not interlaced.
 * Anything else throws, so a check never passes on an image it could not read.
 */
export function decodePng(png: Uint8Array): Image {
  const data = Buffer.from(png);
  if (data.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let offset = 8;
  let width = 0, height = 0, channels: 3 | 4 = 3;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString("latin1", offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: bit depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      }
      channels = colour === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels]! : 0;
      const b = up[x]!;
      const c = x >= channels ? up[x - channels]! : 0;
      out[x] = (line[x]! + unfilter(filter, a, b, c)) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function unfilter(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0: return 0;
    case 1: return a;
    case 2: return b;
    case 3: return (a + b) >> 1;
    case 4: {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default: throw new Error(`bad PNG filter ${filter}`);
  }
}

/** How much a screenshot shows: the share of pixels unlike the most common colour, and how many colours there are. */
export interface Ink {
  /** Share (0–1) of pixels whose colour is not the background's (the most common one). */
  ink: number;
  colours: number;
}

export function measureInk(image: Image): Ink {
  const counts = new Map<number, number>();
  const { pixels, channels } = image;
  for (let i = 0; i < pixels.length; i += channels) {
    const colour = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
    counts.set(colour, (counts.get(colour) ?? 0) + 1);
  }
  const background = Math.max(...counts.values());
  const total = image.width * image.height;
  return { ink: (total - background) / total, colours: counts.size };
}
