// The analysis worker: reads each image of `workerData.files`, parses its EXIF (camera, time,
// GPS) and extracts its embedded thumbnail with exifr, and posts one message per file. It holds
// nothing the main thread must release: the plugin terminates the thread to cancel a run.
//
// Messages: { type: 'file', result, thumbnail: ArrayBuffer | null } per file (the thumbnail is
// transferred, not copied), then { type: 'done' }.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import exifr from 'exifr';

const { folder, files, delayMs } = workerData;

/** EXIF "YYYY:MM:DD HH:MM:SS" (camera local time, no zone) → "YYYY-MM-DD HH:MM:SS". */
function exifDate(value) {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})/.exec(value);
  return match ? `${match[1]}-${match[2]}-${match[3]} ${match[4]}` : value;
}

const finite = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

async function analyse(file, index) {
  const result = {
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
  let thumbnail = null;
  let bytes;
  try {
    bytes = await readFile(join(folder, file));
    result.bytes = bytes.length;
  } catch (error) {
    result.error = `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
    return { result, thumbnail };
  }
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
    if (embedded && embedded.length > 0) thumbnail = new Uint8Array(embedded).buffer;
  } catch (error) {
    result.error = `cannot read EXIF: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { result, thumbnail };
}

for (let index = 0; index < files.length; index++) {
  if (delayMs > 0) await sleep(delayMs);
  const { result, thumbnail } = await analyse(files[index], index);
  parentPort.postMessage({ type: 'file', result, thumbnail }, thumbnail ? [thumbnail] : []);
}
parentPort.postMessage({ type: 'done' });
