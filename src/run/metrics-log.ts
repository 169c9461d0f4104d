// metrics.jsonl: one flat JSON object per training step ({"step": n, "actor/entropy": …}).
// Lines are appended whole; on resume the file is cut back to the lines the checkpoint counted,
// so a crash mid-write loses nothing the checkpoint does not also cover. Those lines must all be
// there: a resume over a deleted, shortened or hand-damaged metrics.jsonl is refused (one line
// naming what is missing) rather than continued with the first steps' metrics gone. The file is
// opened without following a symbolic link and written with every byte or an error (file-write.ts).
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import { openForAppend, writeAll } from './file-write.ts';
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

/** What a resume keeps of metrics.jsonl: the lines its checkpoint covers. */
export interface CoveredMetrics {
  /** The records of those lines, in order. */
  records: MetricsRecord[];
}

export class MetricsLog {
  readonly file: string;
  private lines: number;
  private fd: number;

  /** Opens the run's metrics.jsonl keeping `covered`'s lines (none: a fresh run) and cutting the rest. */
  constructor(
    runDir: string,
    covered: CoveredMetrics = { records: [] },
    private readonly sinks: MetricsSink[] = [],
  ) {
    this.file = path.join(runDir, METRICS_FILE);
    this.fd = openForAppend(this.file, { read: true });
    const text = fs.readFileSync(this.fd, 'utf8');
    const keep = covered.records.length;
    fs.ftruncateSync(this.fd, Buffer.byteLength(firstLines(text, keep)));
    this.lines = keep;
    const had = text.split('\n').filter((l) => l.length > 0).length;
    const lastStep = covered.records.at(-1)?.step ?? 0;
    if (had > 0) for (const sink of sinks) sink.restart?.(lastStep + 1);
  }

  get lineCount(): number {
    return this.lines;
  }

  append(record: MetricsRecord, histograms?: Record<string, ArrayLike<number>>): void {
    // a torn last line is harmless: a resume cuts the file back to the checkpoint's line count
    writeAll(this.fd, `${JSON.stringify(record)}\n`, this.file);
    this.lines += 1;
    for (const sink of this.sinks) sink.write(record.step, record, histograms);
  }

  close(): void {
    fs.closeSync(this.fd);
    for (const sink of this.sinks) sink.close();
  }
}

/** The first `n` newline-terminated lines of `text`, newlines included. */
function firstLines(text: string, n: number): string {
  let end = 0;
  for (let i = 0; i < n; i++) end = text.indexOf('\n', end) + 1;
  return text.slice(0, end);
}

/** One line of metrics.jsonl as a record, or a UserError naming the file and line. */
function parseLine(line: string, lineNo: number, file: string, fix: string): MetricsRecord {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (e) {
    throw new UserError(`line ${lineNo} is damaged (${(e as Error).message}); ${fix}`, file);
  }
  if (
    typeof record !== 'object' ||
    record === null ||
    Array.isArray(record) ||
    typeof (record as MetricsRecord).step !== 'number'
  )
    throw new UserError(`line ${lineNo} is damaged (not a metrics record with a numeric 'step'); ${fix}`, file);
  return record as MetricsRecord;
}

/**
 * The first `lines` lines of a run's metrics.jsonl, which the checkpoint of step `step` covers; a
 * UserError when the file is missing, holds fewer complete lines, or one of them is damaged.
 */
export function readCoveredMetrics(runDir: string, lines: number, step: number): CoveredMetrics {
  if (lines === 0) return { records: [] };
  const file = path.join(runDir, METRICS_FILE);
  const fix = 'restore the file, or start the run over with --force';
  const covers = `the checkpoint at step ${step} covers its first ${lines} lines`;
  if (!fs.existsSync(file)) throw new UserError(`is missing, but ${covers}; ${fix}`, file);
  const complete = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
  if (complete.length < lines)
    throw new UserError(`holds ${complete.length} complete lines, but ${covers}; ${fix}`, file);
  return { records: complete.slice(0, lines).map((l, i) => parseLine(l, i + 1, file, fix)) };
}

/**
 * The records of a run's metrics.jsonl ([] without one). A last line without its newline (torn by
 * a crash mid-write; a resume cuts it) is left out; a damaged complete line is a UserError.
 */
export function readMetrics(runDir: string): MetricsRecord[] {
  const file = path.join(runDir, METRICS_FILE);
  if (!fs.existsSync(file)) return [];
  const fix = 'repair or delete that line';
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((l, i) => [l, i + 1] as const)
    .filter(([l]) => l.length > 0)
    .map(([l, i]) => parseLine(l, i, file, fix));
}
