/** The `media.analysis` service as the tests use it (the plugin is plain JS). */
/** One file's findings. */
export interface FileResult {
  index: number;
  file: string;
  bytes: number | null;
  make: string | null;
  model: string | null;
  taken: string | null;
  description: string | null;
  width: number | null;
  height: number | null;
  latitude: number | null;
  longitude: number | null;
  thumbnailBytes: number;
  thumbnailHeld: boolean;
  evicted: boolean;
  error: string | null;
}

/** A run's counts and sizes. */
export interface RunSummary {
  run: string;
  folder: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  cancelled: boolean;
  total: number;
  analysed: number;
  thumbnails: number;
  thumbnailBytes: number;
  limitBytes: number;
  evicted: number;
  evictedBytes: number;
  gpsPoints: number;
  durationMs: number;
  error: string | null;
}

/** Options of `analyse()`. */
export interface AnalyseOptions {
  thumbnailLimitBytes?: number;
  delayMs?: number;
  onFile?: (result: FileResult) => void;
}

/** The service. */
export interface MediaAnalysis {
  readonly url: string;
  analyse(folder?: string, options?: AnalyseOptions): Promise<RunSummary>;
  cancel(): Promise<boolean>;
  clear(): Promise<boolean>;
  status(): RunSummary | null;
  results(): FileResult[];
  thumbnails(): Array<{ file: string; bytes: number; resource: number }>;
  thumbnail(file: string): Buffer | undefined;
  readonly workerThreadId: number | null;
}
