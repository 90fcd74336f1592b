// The media-analysis tab's Web Worker: fetches each photo, reads its EXIF and embedded thumbnail
// with exifr (the same code as the Node plugin's worker thread: ../media-analysis/exif.js), and
// posts one message per file. It holds nothing the page must release: the tab terminates it to
// cancel a run, and closing the tab terminates it whatever it was doing.
//
// In: { files: [{ file, url }], delayMs }. Out: { type: 'file', result, thumbnail } per file
// (the thumbnail's ArrayBuffer transferred), then { type: 'done' }.

import { emptyResult, readExif } from '/shared/exif.js';
import exifr from '/vendor/exifr.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

self.onmessage = async ({ data: { files, delayMs } }) => {
  for (const [index, { file, url }] of files.entries()) {
    if (delayMs > 0) await sleep(delayMs);
    const result = emptyResult(file, index);
    let thumbnail = null;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      thumbnail = await readExif(exifr, new Uint8Array(await response.arrayBuffer()), result);
    } catch (error) {
      result.error ??= `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
    }
    self.postMessage({ type: 'file', result, thumbnail }, thumbnail ? [thumbnail] : []);
  }
  self.postMessage({ type: 'done' });
};
