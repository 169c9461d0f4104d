// TensorBoard scalar event files written by hand, without native TensorFlow (docs/sweeps.md
// "TensorBoard"; format: `tensorflow/tensorboard`).
// A file is a sequence of TFRecords: u64 little-endian payload length, masked CRC32C of those
// 8 bytes, the payload, masked CRC32C of the payload. Each payload is a protobuf `Event`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openForAppend, writeAll } from './file-write.ts';
import type { MetricsSink } from './metrics-log.ts';
import { EVENTS_FILE_PREFIX } from './run-dir.ts';

// CRC32C (Castagnoli), reflected polynomial 0x82F63B78 — not the IEEE CRC-32 of zip/png.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's CRC mask: rotate right by 15 bits, then add 0xa282ead8 (mod 2³²). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, masked CRC of length, payload, masked CRC of payload. */
export function tfRecord(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(payload.length));
  const out = Buffer.alloc(8 + 4 + payload.length + 4);
  header.copy(out, 0);
  out.writeUInt32LE(maskedCrc32c(header), 8);
  Buffer.from(payload).copy(out, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

// Minimal protobuf encoding: only the wire types the Event message needs.
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function lengthDelimited(field: number, bytes: Uint8Array | number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
}

function fixed64Double(field: number, value: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return [(field << 3) | 1, ...b];
}

function fixed32Float(field: number, value: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return [(field << 3) | 5, ...b];
}

function packedDoubles(field: number, values: readonly number[]): number[] {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeDoubleLE(v, 8 * i));
  return lengthDelimited(field, b);
}

/** Values summarised as TensorBoard's histogram: count per bucket, bucket i holding (limit[i−1], limit[i]]. */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

/** `values` in `buckets` equal-width buckets from min to max (one bucket when all are equal). */
export function histogramOf(values: ArrayLike<number>, buckets = 30): Histogram {
  const xs = Array.from(values);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const n = max > min ? buckets : 1;
  const width = (max - min) / n;
  const bucketLimit = Array.from({ length: n }, (_, i) => (i === n - 1 ? max : min + width * (i + 1)));
  const bucket = new Array<number>(n).fill(0);
  for (const x of xs) bucket[n === 1 ? 0 : Math.min(n - 1, Math.max(0, Math.ceil((x - min) / width) - 1))] += 1;
  const sum = xs.reduce((a, b) => a + b, 0);
  const sumSquares = xs.reduce((a, b) => a + b * b, 0);
  return { min, max, num: xs.length, sum, sumSquares, bucketLimit, bucket };
}

/** HistogramProto { 1 min, 2 max, 3 num, 4 sum, 5 sum_squares: double; 6 bucket_limit, 7 bucket: packed double }. */
function encodeHistogram(h: Histogram): number[] {
  return [
    ...fixed64Double(1, h.min),
    ...fixed64Double(2, h.max),
    ...fixed64Double(3, h.num),
    ...fixed64Double(4, h.sum),
    ...fixed64Double(5, h.sumSquares),
    ...packedDoubles(6, h.bucketLimit),
    ...packedDoubles(7, h.bucket),
  ];
}

export type EventBody =
  | { fileVersion: string }
  | { scalars: Record<string, number>; histograms?: Record<string, Histogram> }
  | { sessionStart: true };

/** protobuf Event { 1: wall_time double, 2: step int64, 3: file_version string, 5: summary, 7: session_log }. */
export function encodeEvent(wallTime: number, step: number, body: EventBody): Uint8Array {
  const bytes = [...fixed64Double(1, wallTime), ...[(2 << 3) | 0, ...varint(step)]];
  if ('fileVersion' in body) {
    bytes.push(...lengthDelimited(3, Buffer.from(body.fileVersion, 'utf8')));
  } else if ('sessionStart' in body) {
    // SessionLog { 1: status enum, START = 1 }
    bytes.push(...lengthDelimited(7, [(1 << 3) | 0, 1]));
  } else {
    // Summary { repeated Value value = 1 }, Value { 1: tag string, 2: simple_value float, 5: histo HistogramProto }.
    const summary: number[] = [];
    for (const [tag, value] of Object.entries(body.scalars)) {
      const v = [...lengthDelimited(1, Buffer.from(tag, 'utf8')), ...fixed32Float(2, value)];
      summary.push(...lengthDelimited(1, v));
    }
    for (const [tag, h] of Object.entries(body.histograms ?? {})) {
      const v = [...lengthDelimited(1, Buffer.from(tag, 'utf8')), ...lengthDelimited(5, encodeHistogram(h))];
      summary.push(...lengthDelimited(1, v));
    }
    bytes.push(...lengthDelimited(5, summary));
  }
  return Uint8Array.from(bytes);
}

/**
 * Appends scalar summaries to `<runDir>/events.out.tfevents.<unix-seconds>.<hostname>`. The file
 * is created on the first write, so a run that never logs a step leaves no empty event file.
 */
export class TensorBoardWriter implements MetricsSink {
  readonly file: string;
  private fd: number | undefined;
  private closed = false;
  private startStep: number | undefined;

  constructor(
    runDir: string,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.file = path.join(runDir, `${EVENTS_FILE_PREFIX}${Math.floor(now())}.${os.hostname()}`);
  }

  /**
   * A resumed run rewrites the steps from `firstStep` on. A SessionLog START event at that step is
   * TensorBoard's restart marker: on reading it, TensorBoard drops the points with step >= firstStep
   * that an earlier event file holds (the crashed run's steps after its checkpoint), so each step
   * is shown once.
   */
  restart(firstStep: number): void {
    this.startStep = firstStep;
  }

  /** One Event per step; non-finite values and the `step` key itself are skipped. */
  write(step: number, scalars: Record<string, number>, histograms?: Record<string, ArrayLike<number>>): void {
    if (this.closed) return;
    if (this.fd === undefined) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = openForAppend(this.file);
      writeAll(this.fd, tfRecord(encodeEvent(this.now(), 0, { fileVersion: 'brain.Event:2' })), this.file);
      if (this.startStep !== undefined) {
        writeAll(this.fd, tfRecord(encodeEvent(this.now(), this.startStep, { sessionStart: true })), this.file);
      }
    }
    const finite: Record<string, number> = {};
    for (const [tag, value] of Object.entries(scalars)) {
      if (tag !== 'step' && typeof value === 'number' && Number.isFinite(value)) finite[tag] = value;
    }
    const histos: Record<string, Histogram> = {};
    for (const [tag, values] of Object.entries(histograms ?? {})) {
      const finiteValues = Array.from(values).filter(Number.isFinite);
      if (finiteValues.length > 0) histos[tag] = histogramOf(finiteValues);
    }
    const body = Object.keys(histos).length > 0 ? { scalars: finite, histograms: histos } : { scalars: finite };
    writeAll(this.fd, tfRecord(encodeEvent(this.now(), step, body)), this.file);
  }

  close(): void {
    this.closed = true;
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
