import { describe, expect, it } from 'vitest';
import { FrameDemuxer, LogCollector, SENTINEL, type StreamName } from '../../src/runners/docker/logs.ts';

function frame(stream: number, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("Docker's stream frames", () => {
  it('splits frames by stream', () => {
    const got: [StreamName, string][] = [];
    const demuxer = new FrameDemuxer((stream, payload) => got.push([stream, payload.toString()]));
    demuxer.push(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]));
    expect(got).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
      ['stdout', 'more'],
    ]);
  });

  it('reassembles frames cut anywhere, even inside the header', () => {
    const bytes = Buffer.concat([frame(1, 'hello world\n'), frame(2, 'x'.repeat(1000)), frame(1, 'end')]);
    for (const step of [1, 3, 7, 8, 9, 13, 500]) {
      const got: Record<StreamName, string> = { stdout: '', stderr: '' };
      const demuxer = new FrameDemuxer((stream, payload) => (got[stream] += payload.toString()));
      for (let i = 0; i < bytes.length; i += step) demuxer.push(bytes.subarray(i, i + step));
      expect(got).toEqual({ stdout: 'hello world\nend', stderr: 'x'.repeat(1000) });
      expect(demuxer.buffered).toBe(0);
    }
  });

  it('ignores stdin frames and empty frames', () => {
    const got: string[] = [];
    const demuxer = new FrameDemuxer((stream, payload) => got.push(`${stream}:${payload.toString()}`));
    demuxer.push(Buffer.concat([frame(0, 'in'), frame(1, ''), frame(2, 'e')]));
    expect(got).toEqual(['stderr:e']);
  });
});

describe('log collection', () => {
  const at = Date.UTC(2030, 0, 1, 12, 0, 0, 5);
  const collector = (): LogCollector => new LogCollector(() => at);

  it('formats lines as OpenWhisk does and ends at both sentinels', () => {
    const logs = collector();
    logs.begin(1 << 20);
    logs.write('stdout', Buffer.from('one\ntwo\n'));
    logs.write('stderr', Buffer.from('oops\n'));
    expect(logs.ended).toBe(false);
    logs.write('stdout', Buffer.from(`${SENTINEL}\n`));
    expect(logs.ended).toBe(false);
    logs.write('stderr', Buffer.from(`${SENTINEL}\n`));
    expect(logs.ended).toBe(true);
    expect(logs.take()).toEqual(['2030-01-01T12:00:00.005Z stdout: one', '2030-01-01T12:00:00.005Z stdout: two', '2030-01-01T12:00:00.005Z stderr: oops']);
    expect(logs.take()).toEqual([]);
  });

  it('keeps partial lines until their newline, and a line glued to the sentinel', () => {
    const logs = collector();
    logs.begin(1 << 20);
    logs.write('stdout', Buffer.from('par'));
    logs.write('stdout', Buffer.from('tial\nno newline'));
    logs.write('stdout', Buffer.from(`${SENTINEL}\n`));
    logs.write('stderr', Buffer.from(`${SENTINEL}\n`));
    expect(logs.take().map((l) => l.slice(25))).toEqual(['stdout: partial', 'stdout: no newline']);
  });

  it('decodes UTF-8 split across chunks', () => {
    const logs = collector();
    logs.begin(1 << 20);
    const bytes = Buffer.from('héllo 世界 😀\n');
    for (const byte of bytes) logs.write('stdout', Buffer.from([byte]));
    expect(logs.take()).toEqual(['2030-01-01T12:00:00.005Z stdout: héllo 世界 😀']);
  });

  it('truncates at the log limit with upstream’s message', () => {
    const logs = collector();
    logs.begin(100);
    for (let i = 0; i < 10; i++) logs.write('stdout', Buffer.from(`line ${i}\n`));
    const lines = logs.take();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('2030-01-01T12:00:00.005Z stderr: Logs were truncated because the total bytes size exceeds the limit of 100 bytes.');
  });

  it('a limit of 0 keeps only the truncation notice', () => {
    const logs = collector();
    logs.begin(0);
    logs.write('stderr', Buffer.from('x\n'));
    expect(logs.take()).toEqual(['2030-01-01T12:00:00.005Z stderr: Logs were truncated because the total bytes size exceeds the limit of 0 bytes.']);
  });

  it('lines before begin (module import during init) belong to the first activation', () => {
    const logs = collector();
    logs.begin(1 << 20);
    logs.write('stdout', Buffer.from('imported\n'));
    logs.begin(1 << 20);
    logs.write('stdout', Buffer.from(`ran\n${SENTINEL}\n`));
    logs.write('stderr', Buffer.from(`${SENTINEL}\n`));
    expect(logs.take().map((l) => l.slice(25))).toEqual(['stdout: imported', 'stdout: ran']);
  });

  it('waitForEnd resolves at the sentinels, or false at the deadline, or when output ends', async () => {
    const timers: (() => void)[] = [];
    const setTimer = (cb: () => void): { clear(): void } => {
      timers.push(cb);
      return { clear: () => timers.splice(timers.indexOf(cb), 1) };
    };
    const logs = collector();
    logs.begin(1000);
    const waiting = logs.waitForEnd(1000, setTimer);
    logs.write('stdout', Buffer.from(`${SENTINEL}\n`));
    logs.write('stderr', Buffer.from(`${SENTINEL}\n`));
    await expect(waiting).resolves.toBe(true);
    expect(timers).toHaveLength(0);

    logs.begin(1000);
    const late = logs.waitForEnd(1000, setTimer);
    timers[0]!();
    await expect(late).resolves.toBe(false);

    logs.begin(1000);
    const dying = logs.waitForEnd(1000, setTimer);
    logs.write('stderr', Buffer.from('last words'));
    logs.finish();
    await expect(dying).resolves.toBe(false);
    expect(logs.take().map((l) => l.slice(25))).toEqual(['stderr: last words']);
  });
});
