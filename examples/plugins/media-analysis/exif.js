// Reading one photo's EXIF (camera, time, description, size, GPS) and embedded thumbnail with
// exifr. Shared by the Node worker thread (worker.js) and the web app's Web Worker
// (../window/app/exif-worker.js): exifr is passed in, so this module imports nothing and loads
// in both (a module worker has no import map to resolve a bare `exifr`).

/** EXIF "YYYY:MM:DD HH:MM:SS" (camera local time, no zone) → "YYYY-MM-DD HH:MM:SS". */
export function exifDate(value) {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})/.exec(value);
  return match ? `${match[1]}-${match[2]}-${match[3]} ${match[4]}` : value;
}

const finite = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** An empty result for `file` (index `index`): every field null until read. */
export function emptyResult(file, index) {
  return {
    index,
    file,
    bytes: null,
    make: null,
    model: null,
    taken: null,
    description: null,
    width: null,
    height: null,
    latitude: null,
    longitude: null,
    error: null,
  };
}

/**
 * Fill `result` from the file's bytes (a Uint8Array or Buffer) with `exifr`; returns the
 * embedded thumbnail as its own ArrayBuffer (transferable), or null. EXIF errors go into
 * `result.error`, never thrown.
 */
export async function readExif(exifr, bytes, result) {
  result.bytes = bytes.length;
  try {
    const tags = (await exifr.parse(bytes, { tiff: true, exif: true, gps: true, reviveValues: false })) ?? {};
    result.make = tags.Make ?? null;
    result.model = tags.Model ?? null;
    result.taken = exifDate(tags.DateTimeOriginal ?? tags.CreateDate ?? tags.ModifyDate);
    result.description = tags.ImageDescription ?? null;
    result.width = finite(tags.ExifImageWidth ?? tags.ImageWidth);
    result.height = finite(tags.ExifImageHeight ?? tags.ImageHeight);
    result.latitude = finite(tags.latitude);
    result.longitude = finite(tags.longitude);
    const embedded = await exifr.thumbnail(bytes);
    // exifr returns a view into the file's bytes: copy it so only the thumbnail crosses over.
    if (embedded && embedded.length > 0) return new Uint8Array(embedded).buffer;
  } catch (error) {
    result.error = `cannot read EXIF: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}
