/**
 * CPU profile of a server child with Linux `perf`. The child runs with --perf-prof (a JIT dump in
 * its working directory), perf samples with the monotonic clock, and `perf inject --jit` names the
 * JIT frames. Used instead of `--cpu-prof` because the hub's uWS transport closes every WebSocket
 * right after the upgrade while V8's CPU profiler runs (see loadtest/README.md).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sleep } from './clock.ts';

const run = promisify(execFile);
const SAMPLE_HZ = '499';
const TOP_LINES = 45;

/** A running `perf record`. */
export class PerfProfile {
  private constructor(
    private readonly child: ChildProcess | null,
    private readonly file: string,
    private readonly problem: string | null,
  ) {}

  /** Starts sampling `pid` into `file`. Never throws: without perf the profile says why it is empty. */
  static async start(pid: number, file: string): Promise<PerfProfile> {
    try {
      const child = spawn('perf', ['record', '-k', 'mono', '-F', SAMPLE_HZ, '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
      const failed = new Promise<string>((resolve) => {
        child.once('error', (e) => resolve(e.message));
        child.once('exit', (code) => resolve(`perf exited early with code ${code}`));
      });
      const early = await Promise.race([failed, sleep(300).then(() => null)]);
      return new PerfProfile(early ? null : child, file, early);
    } catch (err) {
      return new PerfProfile(null, file, err instanceof Error ? err.message : String(err));
    }
  }

  /** Stops sampling and returns the hottest functions (self time), also written to `textFile`. */
  async stop(textFile: string): Promise<string> {
    if (!this.child) return `no profile: ${this.problem ?? 'perf not started'}`;
    const exited = new Promise<void>((resolve) => this.child!.once('exit', () => resolve()));
    this.child.kill('SIGINT');
    await Promise.race([exited, sleep(10_000)]);
    try {
      const jitted = `${this.file}.jit`;
      await run('perf', ['inject', '--jit', '-i', this.file, '-o', jitted], { cwd: path.dirname(this.file), maxBuffer: 64 * 1024 * 1024 });
      const report = (sort: string) =>
        run('perf', ['report', '-i', jitted, '--stdio', '--no-children', '--sort', sort, '-g', 'none', '--percent-limit', '0.3'], { maxBuffer: 64 * 1024 * 1024 });
      const { stdout } = await report('symbol');
      const lines = stdout
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#'))
        .map((l) => l.replace(/\s+-\s+-\s*$/, '').replace(/\s{2,}/g, '  '));
      const text = lines.slice(0, TOP_LINES).join('\n');
      fs.writeFileSync(textFile, lines.join('\n'));
      return text;
    } catch (err) {
      return `perf report failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
