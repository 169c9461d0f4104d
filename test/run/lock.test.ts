// Directory locks across processes and hosts: atomic creation, host + pid + start time, stale
// takeover, and the heartbeat that keeps a lock from another host live.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireLock, HEARTBEAT_MS, inspectLock, STALE_AFTER_MS } from '../../src/run/lock.ts';

const tempFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lock-')), 'x.lock');

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

const writeHolder = (file: string, holder: object) => fs.writeFileSync(file, JSON.stringify(holder));
const age = (file: string, ms: number) => fs.utimesSync(file, new Date(Date.now() - ms), new Date(Date.now() - ms));

afterEach(() => {
  vi.useRealTimers();
});

describe('directory lock', () => {
  it('records host, pid and start time, refuses a second holder, and is gone after release', () => {
    const file = tempFile();
    const release = acquireLock(file, 'trainer', 'is being trained by');
    const holder = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(holder).toMatchObject({ host: os.hostname(), pid: process.pid, what: 'trainer' });
    expect(Date.parse(holder.started)).toBeGreaterThan(Date.now() - 60_000);
    expect(inspectLock(file)?.live).toBe(true);
    expect(() => acquireLock(file, 'trainer', 'is being trained by')).toThrow(
      `is being trained by process ${process.pid} on ${os.hostname()}`,
    );
    release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('takes over the lock of a process on this host that no longer exists', async () => {
    const file = tempFile();
    writeHolder(file, { host: os.hostname(), pid: await deadPid(), started: new Date().toISOString() });
    expect(inspectLock(file)?.live).toBe(false);
    const release = acquireLock(file, 'trainer', 'busy:');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('reads a bare pid (older locks) as a process on this host', async () => {
    const file = tempFile();
    fs.writeFileSync(file, `${process.pid}\n`);
    expect(inspectLock(file)?.live).toBe(true);
    fs.writeFileSync(file, `${await deadPid()}\n`);
    expect(inspectLock(file)?.live).toBe(false);
  });

  it('trusts a lock from another host while its heartbeat is fresh, and takes it over once stale', () => {
    const file = tempFile();
    // the pid of this very process, on another host: its liveness cannot be checked from here
    writeHolder(file, { host: 'other-node', pid: process.pid, started: new Date().toISOString() });
    age(file, STALE_AFTER_MS - 10_000);
    expect(inspectLock(file)).toMatchObject({ live: true, holder: { host: 'other-node' } });
    expect(() => acquireLock(file, 'trainer', 'held by')).toThrow(/held by process \d+ on other-node/);
    age(file, STALE_AFTER_MS + 10_000);
    expect(inspectLock(file)?.live).toBe(false);
    const release = acquireLock(file, 'trainer', 'held by');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).host).toBe(os.hostname());
    release();
  });

  it('refreshes its heartbeat on a timer, so a live holder never looks stale', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const file = tempFile();
    const release = acquireLock(file, 'trainer', 'busy:');
    age(file, STALE_AFTER_MS + 10_000);
    expect(inspectLock(file)?.live).toBe(false);
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(inspectLock(file)?.live).toBe(true);
    release();
  });

  it('lets exactly one of many processes racing for a free lock have it', async () => {
    const file = tempFile();
    const lockModule = pathToFileURL(path.resolve('src/run/lock.ts')).href;
    const script = path.join(path.dirname(file), 'race.mjs');
    fs.writeFileSync(
      script,
      `const { acquireLock } = await import(${JSON.stringify(lockModule)});
try { acquireLock(${JSON.stringify(file)}, 'trainer', 'busy:'); console.log('got'); }
catch (e) { console.log(e.name === 'UserError' ? 'busy' : 'error ' + e.message); }
process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
    );
    const racers = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const answers = await Promise.all(
      racers.map(
        (child) =>
          new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))),
      ),
    );
    for (const child of racers) child.stdin!.end();
    await Promise.all(racers.map((child) => new Promise((r) => child.once('exit', r))));
    expect(answers.filter((a) => a === 'got')).toHaveLength(1);
    expect(answers.filter((a) => a === 'busy')).toHaveLength(5);
  });
});
