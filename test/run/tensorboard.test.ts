import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import {
  crc32c,
  encodeEvent,
  histogramOf,
  maskedCrc32c,
  TensorBoardWriter,
  tfRecord,
} from '../../src/run/tensorboard.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const unmask = (masked: number) => {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
};

describe('CRC32C', () => {
  it('matches the standard check value and RFC 3720 vectors', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('masks by rotate-right-15 plus 0xa282ead8, and the mask inverts', () => {
    const crc = 0xe3069283;
    // Rotate right 15 by hand: low 15 bits move to the top.
    const rotated = ((crc >>> 15) | ((crc & 0x7fff) << 17)) >>> 0;
    expect(maskedCrc32c(bytes('123456789'))).toBe((rotated + 0xa282ead8) % 2 ** 32);
    expect(unmask(maskedCrc32c(bytes('123456789')))).toBe(crc);
  });
});

describe('TFRecord framing', () => {
  it('is length, masked CRC of the length, payload, masked CRC of the payload', () => {
    const payload = bytes('hello');
    const rec = tfRecord(payload);
    expect(rec.length).toBe(8 + 4 + 5 + 4);
    expect(rec.readBigUInt64LE(0)).toBe(5n);
    expect(rec.readUInt32LE(8)).toBe(maskedCrc32c(rec.subarray(0, 8)));
    expect(rec.subarray(12, 17).toString()).toBe('hello');
    expect(rec.readUInt32LE(17)).toBe(maskedCrc32c(payload));
    expect(unmask(rec.readUInt32LE(17))).toBe(crc32c(payload));
  });
});

describe('Event protobuf', () => {
  it('encodes a one-scalar summary byte for byte', () => {
    // wall_time 1.5 (field 1, fixed64), step 3 (field 2, varint),
    // summary (field 5) { value (1) { tag (1) "a", simple_value (2, fixed32) 0.5f } }.
    const expected = [
      0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 0x03, 0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0x3f,
    ];
    expect([...encodeEvent(1.5, 3, { scalars: { a: 0.5 } })]).toEqual(expected);
  });

  it('encodes the file-version header and multi-byte step varints', () => {
    const ev = encodeEvent(0, 300, { fileVersion: 'brain.Event:2' });
    // 300 = 0b1_0010_1100 → varint AC 02.
    expect([...ev.subarray(9, 12)]).toEqual([0x10, 0xac, 0x02]);
    expect([...ev.subarray(12, 14)]).toEqual([0x1a, 13]);
    expect(Buffer.from(ev.subarray(14)).toString()).toBe('brain.Event:2');
  });
});

interface ReadHistogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

interface ReadEvent {
  step: number;
  scalars: Record<string, number>;
  histograms?: Record<string, ReadHistogram>;
  /** SessionLog status (1 = START), when the event is a session log. */
  session?: number;
}

// A reader written independently of the writer: checks every CRC and decodes tags and values.
function readEvents(file: string): ReadEvent[] {
  const buf = fs.readFileSync(file);
  const events: ReadEvent[] = [];
  let off = 0;
  while (off < buf.length) {
    const len = Number(buf.readBigUInt64LE(off));
    expect(unmask(buf.readUInt32LE(off + 8))).toBe(crc32c(buf.subarray(off, off + 8)));
    const payload = buf.subarray(off + 12, off + 12 + len);
    expect(unmask(buf.readUInt32LE(off + 12 + len))).toBe(crc32c(payload));
    off += 16 + len;
    const ev: ReadEvent = { step: 0, scalars: {} };
    let p = 0;
    const readVarint = (b: Buffer) => {
      let v = 0;
      let shift = 0;
      for (;;) {
        const byte = b[p++];
        v += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (byte < 0x80) return v;
      }
    };
    while (p < payload.length) {
      const key = readVarint(payload);
      if (key === 0x09) p += 8;
      else if (key === 0x10) ev.step = readVarint(payload);
      else if (key === 0x1a) {
        const strLen = readVarint(payload);
        p += strLen;
      } else if (key === 0x3a) {
        const end = readVarint(payload) + p;
        expect(payload[p++]).toBe(0x08); // SessionLog field 1 (status), varint
        ev.session = readVarint(payload);
        expect(p).toBe(end);
      } else if (key === 0x2a) {
        const end = readVarint(payload) + p;
        while (p < end) {
          expect(payload[p++]).toBe(0x0a);
          const vEnd = readVarint(payload) + p;
          expect(payload[p++]).toBe(0x0a);
          const tagLen = readVarint(payload);
          const tag = payload.subarray(p, p + tagLen).toString();
          p += tagLen;
          const field = payload[p++];
          if (field === 0x15) {
            ev.scalars[tag] = payload.readFloatLE(p);
            p += 4;
          } else {
            // Value field 5 (histo): HistogramProto, fields 1–5 doubles (wire type 1), 6–7 packed doubles
            expect(field).toBe(0x2a);
            const hEnd = readVarint(payload) + p;
            const h: ReadHistogram = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
            const names = ['min', 'max', 'num', 'sum', 'sumSquares'] as const;
            while (p < hEnd) {
              const hKey = readVarint(payload);
              const [fieldNo, wire] = [hKey >> 3, hKey & 7];
              if (wire === 1 && fieldNo >= 1 && fieldNo <= 5) {
                h[names[fieldNo - 1]] = payload.readDoubleLE(p);
                p += 8;
              } else {
                expect([wire, fieldNo === 6 || fieldNo === 7]).toEqual([2, true]);
                const listEnd = readVarint(payload) + p;
                const list = fieldNo === 6 ? h.bucketLimit : h.bucket;
                for (; p < listEnd; p += 8) list.push(payload.readDoubleLE(p));
              }
            }
            (ev.histograms ??= {})[tag] = h;
          }
          expect(p).toBe(vEnd);
        }
      } else throw new Error(`unexpected key ${key}`);
    }
    events.push(ev);
  }
  return events;
}

/**
 * What TensorBoard shows for one run directory: its event files in name order, and at a SessionLog
 * START event of step S every point read so far with step >= S is dropped (TensorBoard's
 * EventAccumulator keeps `x.step < event.step` on a restart).
 */
function visiblePoints(runDir: string): Map<string, { step: number; value: number }[]> {
  const shown = new Map<string, { step: number; value: number }[]>();
  const files = fs
    .readdirSync(runDir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort();
  for (const file of files) {
    for (const ev of readEvents(path.join(runDir, file))) {
      if (ev.session === 1)
        for (const [tag, points] of shown)
          shown.set(
            tag,
            points.filter((pt) => pt.step < ev.step),
          );
      for (const [tag, value] of Object.entries(ev.scalars)) {
        shown.set(tag, [...(shown.get(tag) ?? []), { step: ev.step, value }]);
      }
    }
  }
  return shown;
}

describe('TensorBoardWriter', () => {
  it('writes a readable event file named events.out.tfevents.<seconds>.<host>', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-'));
    const tb = new TensorBoardWriter(dir, () => 1700000000.25);
    expect(fs.existsSync(tb.file)).toBe(false);
    tb.write(1, { step: 1, 'actor/entropy': 1.25, success_rate: 0.5, bad: NaN });
    tb.write(2, { step: 2, 'actor/entropy': 1 });
    tb.close();
    tb.close();
    expect(path.basename(tb.file)).toBe(`events.out.tfevents.1700000000.${os.hostname()}`);
    const events = readEvents(tb.file);
    expect(events).toHaveLength(3);
    expect(events[0].scalars).toEqual({});
    expect(events[1]).toEqual({ step: 1, scalars: { 'actor/entropy': 1.25, success_rate: 0.5 } });
    expect(events[2]).toEqual({ step: 2, scalars: { 'actor/entropy': 1 } });
    tb.write(3, { x: 1 });
    expect(readEvents(tb.file)).toHaveLength(3);
  });

  it('leaves no file when nothing was written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-'));
    const tb = new TensorBoardWriter(path.join(dir, 'run'));
    tb.close();
    expect(fs.existsSync(path.join(dir, 'run'))).toBe(false);
  });
});

describe('TensorBoard after a crash', () => {
  it('a restarted writer marks its first step with a SessionLog START event', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-'));
    const tb = new TensorBoardWriter(dir, () => 1700000000);
    tb.restart(21);
    tb.write(21, { x: 1 });
    tb.close();
    const events = readEvents(tb.file);
    expect(events.map((e) => [e.step, e.session])).toEqual([
      [0, undefined],
      [21, 1],
      [21, undefined],
    ]);
  });

  it('kill -9 at step ~27 and --resume from the step-20 checkpoint: TensorBoard sees each step once', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-kill-'));
    const runDir = path.join(out, 'killed');
    const args = ['train', 'configs/quickstart.yaml', '--out', out, '--name', 'killed', '--quiet', '--backend', 'cpu'];
    const small = [
      'rollout.prompts_per_step=2',
      'rollout.group_size=4',
      'eval.episodes=4',
      'checkpoint.every=10',
    ].flatMap((s) => ['--set', s]);
    const child = spawn(process.execPath, ['bin/entrolab.js', ...args, ...small, '--set', 'steps=1000'], {
      stdio: 'ignore',
    });
    const metrics = path.join(runDir, 'metrics.jsonl');
    const lines = () => (fs.existsSync(metrics) ? fs.readFileSync(metrics, 'utf8').split('\n').length - 1 : 0);
    while (lines() < 27) {
      expect(child.exitCode, 'the trainer exited early').toBeNull();
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const killedAt = lines();
    const checkpointStep = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8')).step as number;
    expect(checkpointStep % 10).toBe(0);
    expect(checkpointStep).toBeGreaterThanOrEqual(20);
    expect(checkpointStep).toBeLessThanOrEqual(killedAt);
    // the crashed run's event file already holds the steps after the checkpoint
    const before = visiblePoints(runDir)
      .get('critic/score/mean')!
      .map((pt) => pt.step);
    expect(before.at(-1)).toBeGreaterThan(checkpointStep);

    // the resume runs under the same config (steps=1000) and is stopped by SIGTERM a few steps on
    const resumed = spawn(process.execPath, ['bin/entrolab.js', ...args, ...small, '--set', 'steps=1000', '--resume'], {
      stdio: 'ignore',
    });
    while (lines() < checkpointStep + 5 || lines() === killedAt) {
      expect(resumed.exitCode, 'the resumed trainer exited early').toBeNull();
      await new Promise((r) => setTimeout(r, 20));
    }
    resumed.kill('SIGTERM');
    const code = await new Promise((r) => resumed.once('exit', r));
    expect(code).toBe(130);
    const total = lines();
    // a second event file, or the same one appended to when both runs started in the same second
    const files = fs.readdirSync(runDir).filter((f) => f.startsWith('events.out.tfevents.'));
    const starts = files.flatMap((f) => readEvents(path.join(runDir, f)).filter((e) => e.session !== undefined));
    expect(starts).toEqual([{ step: checkpointStep + 1, scalars: {}, session: 1 }]);

    const shown = visiblePoints(runDir).get('critic/score/mean')!;
    expect(shown.map((pt) => pt.step)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const logged = fs
      .readFileSync(metrics, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)['critic/score/mean']);
    expect(shown.map((pt) => pt.value)).toEqual(logged.map((v: number) => Math.fround(v)));
  });
});

describe('TensorBoard histograms', () => {
  it('buckets values equally from min to max, bucket i holding (limit[i−1], limit[i]]', () => {
    // width 0.5: 0 and 0.5 in the first bucket, 1 and 1 in the second, 2 in the last
    expect(histogramOf([0, 0.5, 1, 1, 2], 4)).toEqual({
      min: 0,
      max: 2,
      num: 5,
      sum: 4.5,
      sumSquares: 6.25,
      bucketLimit: [0.5, 1, 1.5, 2],
      bucket: [2, 2, 0, 1],
    });
    expect(histogramOf([0.3, 0.3], 4)).toMatchObject({ bucketLimit: [0.3], bucket: [2] });
  });

  it("a training run writes each step's per-token entropy as a histogram TensorBoard can read", async () => {
    const runDir = tempDir();
    const config = loadConfig('configs/quickstart.yaml', [
      'steps=3',
      'env.preset=open5',
      'rollout.prompts_per_step=4',
      'rollout.group_size=4',
      'policy.hidden=[16]',
      'eval.episodes=4',
    ]);
    await train(config, { runDir, log: () => {}, sinks: [new TensorBoardWriter(runDir)] });
    const file = fs.readdirSync(runDir).find((f) => f.startsWith('events.out.tfevents.'))!;
    const steps = readEvents(path.join(runDir, file)).filter((e) => e.step > 0);
    const records = readJsonl(path.join(runDir, 'metrics.jsonl'));
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3]);
    steps.forEach((e, i) => {
      const h = e.histograms!['entropy/token'];
      // every valid token of the 16 episodes, one action per gridworld step
      expect(h.num).toBe(records[i]['response_length/mean'] * 16);
      expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(h.num);
      expect(h.sum / h.num).toBeCloseTo(records[i]['entropy/rollout'], 5);
      expect(h.max).toBeLessThanOrEqual(Math.log(4) + 1e-6);
      expect(h.bucketLimit.at(-1)).toBe(h.max);
    });
  });
});
