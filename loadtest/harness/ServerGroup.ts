/**
 * The cluster variant of a server under test: several server processes sharing one Redis, measured
 * as one (CPU and RSS summed over every process, Redis included), with clients spread over the
 * processes' addresses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestRedis } from '../../server/test/clusterHarness.ts';
import { readProcess, type ProcessReading, type ServerProcess, type ServerUnderTest } from './ServerProcess.ts';

/** Server processes and their Redis, measured as one server. */
export class ServerGroup implements ServerUnderTest {
  constructor(
    readonly name: string,
    readonly members: ServerProcess[],
    readonly redis: TestRedis,
  ) {
    if (members.length === 0) throw new Error('a server group needs at least one server');
  }

  private get first(): ServerProcess {
    return this.members[0]!;
  }

  get logFile(): string {
    return this.first.logFile;
  }

  get pid(): number {
    return this.first.pid;
  }

  get httpUrl(): string {
    return this.first.httpUrl;
  }

  get wsBase(): string {
    return this.first.wsBase;
  }

  /** Every member's WebSocket base address, the first (where the writer connects) first. */
  get wsBases(): string[] {
    return this.members.map((m) => m.wsBase);
  }

  get inspectPorts(): number[] {
    return this.members.flatMap((m) => m.inspectPorts);
  }

  get alive(): boolean {
    return this.redis.proc?.exitCode === null && this.members.every((m) => m.alive);
  }

  read(): ProcessReading {
    const parts = [...this.members.map((m) => m.read()), readProcess(this.redis.proc?.pid ?? 0)];
    return { at: parts[0]!.at, cpuMs: parts.reduce((a, p) => a + p.cpuMs, 0), rssBytes: parts.reduce((a, p) => a + p.rssBytes, 0) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    await this.redis.stop();
  }
}

/** Copies a provisioned cluster state (SQLite data and Redis directory) for one run. */
export function copyClusterState(template: string, runDir: string): { dataDir: string; redisDir: string } {
  const dataDir = path.join(runDir, 'data');
  const redisDir = path.join(runDir, 'redis');
  fs.cpSync(path.join(template, 'data'), dataDir, { recursive: true, filter: (src) => !src.endsWith('.log') && !src.endsWith('.json') });
  fs.cpSync(path.join(template, 'redis'), redisDir, { recursive: true });
  return { dataDir, redisDir };
}
