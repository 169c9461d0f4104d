// metrics.jsonl: one flat JSON object per training step ({"step": n, "actor/entropy": …}).
// Lines are appended whole; on resume the file is cut back to the lines the checkpoint counted,
// so a crash mid-write loses nothing the checkpoint does not also cover.
import fs from 'node:fs';
import path from 'node:path';
import { diskError } from './atomic-write.ts';
import { METRICS_FILE } from './run-dir.ts';

export type MetricsRecord = Record<string, number>;

/** A sink for per-step scalars besides metrics.jsonl (e.g. TensorBoard). */
export interface MetricsSink {
  /** `histograms`: per-step value sets (e.g. `entropy/token`, every valid token's entropy), for sinks that show them. */
  write(step: number, scalars: MetricsRecord, histograms?: Record<string, ArrayLike<number>>): void;
  /** A resumed run starts writing again at `firstStep`: what the sink holds from there on is stale. */
  restart?(firstStep: number): void;
  close(): void;
}

export class MetricsLog {
  readonly file: string;
  private lines: number;

  constructor(
    runDir: string,
    keepLines: number,
    private readonly sinks: MetricsSink[] = [],
  ) {
    this.file = path.join(runDir, METRICS_FILE);
    const { kept, had, lastStep } = truncateLines(this.file, keepLines);
    this.lines = kept;
    if (had > 0) for (const sink of sinks) sink.restart?.(lastStep + 1);
  }

  get lineCount(): number {
    return this.lines;
  }

  append(record: MetricsRecord, histograms?: Record<string, ArrayLike<number>>): void {
    try {
      fs.appendFileSync(this.file, `${JSON.stringify(record)}\n`);
    } catch (e) {
      // a torn last line is harmless: a resume cuts the file back to the checkpoint's line count
      throw diskError(e, this.file);
    }
    this.lines += 1;
    for (const sink of this.sinks) sink.write(record.step, record, histograms);
  }

  close(): void {
    for (const sink of this.sinks) sink.close();
  }
}

/**
 * Keep the first `keep` complete lines of `file` (creating it if missing); returns how many lines
 * it had, how many it kept, and the step of the last one kept.
 */
function truncateLines(file: string, keep: number): { kept: number; had: number; lastStep: number } {
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, '');
    return { kept: 0, had: 0, lastStep: 0 };
  }
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const kept = lines.slice(0, keep);
  fs.writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
  const lastStep = kept.length > 0 ? (JSON.parse(kept[kept.length - 1]) as MetricsRecord).step : 0;
  return { kept: kept.length, had: lines.length, lastStep };
}

export function readMetrics(runDir: string): MetricsRecord[] {
  const file = path.join(runDir, METRICS_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as MetricsRecord);
}
