// Generates the sample photos of the media-analysis example: small deterministic JPEGs with
// EXIF (Make, Model, DateTimeOriginal, ImageDescription), GPS coordinates spread around Lake
// Geneva and an embedded JPEG thumbnail (IFD1). One photo ("indoors") has no GPS tags.
// The output is committed; run this only to regenerate it:
//   node examples/assets/make-samples.mjs [outDir]
// It also writes photos.json beside the photos: what was written (the ground truth tests
// compare the plugin's findings with, independently of the EXIF reader).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import piexif from 'piexifjs';

const WIDTH = 64;
const HEIGHT = 48;
const THUMB_SCALE = 2; // 32×24 thumbnails

/** The photos: camera, time, place. `gps: null` = no GPS tags. */
const PHOTOS = [
  {
    make: 'Canon',
    model: 'EOS R6',
    taken: '2024:06:01 08:12:30',
    place: "Geneva, Jet d'Eau",
    gps: [46.2074, 6.1557],
  },
  {
    make: 'Canon',
    model: 'EOS R6',
    taken: '2024:06:01 11:47:05',
    place: 'Nyon harbour',
    gps: [46.3826, 6.2398],
  },
  {
    make: 'NIKON CORPORATION',
    model: 'NIKON Z 6_2',
    taken: '2024:06:02 09:03:44',
    place: 'Lausanne, Ouchy',
    gps: [46.5063, 6.6265],
  },
  {
    make: 'NIKON CORPORATION',
    model: 'NIKON Z 6_2',
    taken: '2024:06:02 16:21:10',
    place: 'Vevey',
    gps: [46.4603, 6.8431],
  },
  {
    make: 'FUJIFILM',
    model: 'X-T5',
    taken: '2024:06:03 07:55:00',
    place: 'Montreux, Chillon',
    gps: [46.4142, 6.9274],
  },
  {
    make: 'FUJIFILM',
    model: 'X-T5',
    taken: '2024:06:03 13:30:19',
    place: 'Evian-les-Bains',
    gps: [46.401, 6.5897],
  },
  {
    make: 'Apple',
    model: 'iPhone 15',
    taken: '2024:06:04 18:05:52',
    place: 'Thonon-les-Bains',
    gps: [46.3705, 6.4797],
  },
  {
    make: 'Apple',
    model: 'iPhone 15',
    taken: '2024:06:04 21:40:03',
    place: 'Hotel room (indoors)',
    gps: null,
  },
];

/** Degrees → EXIF [deg, min, sec] rationals, seconds to 1/1000. Returns the value they encode. */
function toRationals(value) {
  const abs = Math.abs(value);
  const deg = Math.floor(abs);
  const min = Math.floor((abs - deg) * 60);
  const milli = Math.round(((abs - deg) * 60 - min) * 60 * 1000);
  const rationals = [
    [deg, 1],
    [min, 1],
    [milli, 1000],
  ];
  return { rationals, encoded: deg + min / 60 + milli / 1000 / 3600 };
}

/** A small synthetic landscape: sky gradient, lake, hills and a sun; different for each index. */
function render(index) {
  const data = Buffer.alloc(WIDTH * HEIGHT * 4);
  const sunX = 8 + ((index * 7) % (WIDTH - 16));
  const sunY = 6 + ((index * 3) % 10);
  const horizon = 26 + (index % 4);
  const tint = (index * 37) % 120;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const o = (y * WIDTH + x) * 4;
      const hill = horizon - Math.round(6 * Math.sin((x + index * 5) / 9));
      let r;
      let g;
      let b;
      if ((x - sunX) ** 2 + (y - sunY) ** 2 < 16) [r, g, b] = [255, 220 - tint / 2, 90];
      else if (y < hill) [r, g, b] = [90 + tint, 150 + y * 2, 230 - y];
      else if (y < horizon + 6) [r, g, b] = [40, 110 + ((x * 5 + index) % 40), 50 + tint / 3];
      else [r, g, b] = [20 + ((x + y) % 12), 70 + tint / 4, 140 + ((x * y + index) % 60)];
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = 255;
    }
  }
  return { width: WIDTH, height: HEIGHT, data };
}

/** Downscale by box filter. */
function shrink(image, scale) {
  const width = image.width / scale;
  const height = image.height / scale;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++)
            sum += image.data[((y * scale + dy) * image.width + x * scale + dx) * 4 + c];
        data[(y * width + x) * 4 + c] = Math.round(sum / scale ** 2);
      }
    }
  }
  return { width, height, data };
}

/** A JPEG without its APPn segments (piexifjs stores thumbnails that way; we do it first so the size is known). */
function stripAppSegments(bytes) {
  const parts = [bytes.subarray(0, 2)];
  let at = 2;
  while (bytes[at] === 0xff && bytes[at + 1] >= 0xe0 && bytes[at + 1] <= 0xef) {
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}

function makePhoto(photo, index) {
  const image = render(index);
  const main = Buffer.from(jpeg.encode(image, 85).data);
  const thumbnail = stripAppSegments(Buffer.from(jpeg.encode(shrink(image, THUMB_SCALE), 70).data));
  const exif = {
    '0th': {
      [piexif.ImageIFD.Make]: photo.make,
      [piexif.ImageIFD.Model]: photo.model,
      [piexif.ImageIFD.ImageDescription]: photo.place,
      [piexif.ImageIFD.Software]: 'steward make-samples',
    },
    Exif: {
      [piexif.ExifIFD.DateTimeOriginal]: photo.taken,
      [piexif.ExifIFD.PixelXDimension]: WIDTH,
      [piexif.ExifIFD.PixelYDimension]: HEIGHT,
    },
    '1st': {
      [piexif.ImageIFD.Compression]: 6,
      [piexif.ImageIFD.XResolution]: [72, 1],
      [piexif.ImageIFD.YResolution]: [72, 1],
      [piexif.ImageIFD.ResolutionUnit]: 2,
    },
    thumbnail: thumbnail.toString('latin1'),
  };
  let latitude = null;
  let longitude = null;
  if (photo.gps) {
    const lat = toRationals(photo.gps[0]);
    const lon = toRationals(photo.gps[1]);
    latitude = (photo.gps[0] < 0 ? -1 : 1) * lat.encoded;
    longitude = (photo.gps[1] < 0 ? -1 : 1) * lon.encoded;
    exif.GPS = {
      [piexif.GPSIFD.GPSVersionID]: [2, 3, 0, 0],
      [piexif.GPSIFD.GPSLatitudeRef]: photo.gps[0] < 0 ? 'S' : 'N',
      [piexif.GPSIFD.GPSLatitude]: lat.rationals,
      [piexif.GPSIFD.GPSLongitudeRef]: photo.gps[1] < 0 ? 'W' : 'E',
      [piexif.GPSIFD.GPSLongitude]: lon.rationals,
    };
  }
  const withExif = piexif.insert(piexif.dump(exif), main.toString('latin1'));
  const bytes = Buffer.from(withExif, 'latin1');
  return {
    bytes,
    info: {
      file: `IMG_${String(index + 1).padStart(4, '0')}.jpg`,
      bytes: bytes.length,
      width: WIDTH,
      height: HEIGHT,
      make: photo.make,
      model: photo.model,
      taken: photo.taken,
      description: photo.place,
      latitude,
      longitude,
      thumbnailBytes: thumbnail.length,
    },
    thumbnail,
  };
}

const outDir = process.argv[2] ?? join(import.meta.dirname, 'photos');
mkdirSync(outDir, { recursive: true });
for (const name of readdirSync(outDir)) {
  if (/^IMG_\d{4}\.jpg$/.test(name) || name === 'photos.json') rmSync(join(outDir, name));
}
const written = PHOTOS.map((photo, index) => {
  const { bytes, info, thumbnail } = makePhoto(photo, index);
  // The thumbnail must be embedded verbatim: tests locate it in the file by these bytes.
  if (bytes.indexOf(thumbnail) < 0) throw new Error(`${info.file}: thumbnail not embedded verbatim`);
  writeFileSync(join(outDir, info.file), bytes);
  return info;
});
writeFileSync(join(outDir, 'photos.json'), `${JSON.stringify(written, null, 2)}\n`);
const total = written.reduce((sum, p) => sum + p.bytes, 0);
console.log(
  `wrote ${written.length} photos (${total} B, thumbnails ${written.map((p) => p.thumbnailBytes).join('+')} B) to ${outDir}`,
);
