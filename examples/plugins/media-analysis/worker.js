// The analysis worker: reads each image of `workerData.files`, parses its EXIF (camera, time,
// GPS) and extracts its embedded thumbnail with exifr (exif.js), and posts one message per file.
// It holds nothing the main thread must release: the plugin terminates the thread to cancel a run.
//
// Messages: { type: 'file', result, thumbnail: ArrayBuffer | null } per file (the thumbnail is
// transferred, not copied), then { type: 'done' }.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import exifr from 'exifr';
import { emptyResult, readExif } from './exif.js';

const { folder, files, delayMs } = workerData;

async function analyse(file, index) {
  const result = emptyResult(file, index);
  let bytes;
  try {
    bytes = await readFile(join(folder, file));
  } catch (error) {
    result.error = `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
    return { result, thumbnail: null };
  }
  return { result, thumbnail: await readExif(exifr, bytes, result) };
}

for (let index = 0; index < files.length; index++) {
  if (delayMs > 0) await sleep(delayMs);
  const { result, thumbnail } = await analyse(files[index], index);
  parentPort.postMessage({ type: 'file', result, thumbnail }, thumbnail ? [thumbnail] : []);
}
parentPort.postMessage({ type: 'done' });
