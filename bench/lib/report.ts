/**
 * What every bench and drill prints: command-line options, the machine, latency percentiles, a JSON
 * document and a markdown table.
 */
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** `--name value`, `--name=value` and bare `--flag` (true). */
export function parseArgs(argv: string[] = process.argv.slice(2)): Map<string, string | true> {
  const args = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}" (options are --name value)`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      args.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      args.set(arg.slice(2), argv[++i]!);
    } else {
      args.set(arg.slice(2), true);
    }
  }
  return args;
}

export class Options {
  private readonly used = new Set<string>();
  constructor(private readonly args = parseArgs()) {}

  number(name: string, fallback: number): number {
    this.used.add(name);
    const raw = this.args.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw === true || !Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a non-negative number`);
    return value;
  }

  numbers(name: string, fallback: number[]): number[] {
    this.used.add(name);
    const raw = this.args.get(name);
    if (raw === undefined) return fallback;
    if (raw === true) throw new Error(`--${name} needs a comma-separated list of numbers`);
    return raw.split(',').map((s) => {
      const n = Number(s);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: "${s}" is not a positive number`);
      return n;
    });
  }

  string(name: string, fallback: string): string {
    this.used.add(name);
    const raw = this.args.get(name);
    return raw === undefined || raw === true ? fallback : raw;
  }

  flag(name: string): boolean {
    this.used.add(name);
    return this.args.get(name) === true || this.args.get(name) === 'true';
  }

  /** Refuses options nobody asked for, so a typo does not silently run the full size. */
  done(): void {
    const unknown = [...this.args.keys()].filter((k) => !this.used.has(k));
    if (unknown.length > 0) throw new Error(`unknown option(s): ${unknown.map((k) => `--${k}`).join(', ')}; known: ${[...this.used].map((k) => `--${k}`).join(', ')}`);
  }
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  loadAverage1m: number;
  node: string;
  temporalCli: string;
  platform: string;
  /** Which Temporal the figures come from (set by the stack). */
  temporal?: string;
}

export function describeMachine(temporalCliPath?: string): Machine {
  let temporalCli = 'unknown';
  if (temporalCliPath) {
    try {
      temporalCli = execFileSync(temporalCliPath, ['--version'], { encoding: 'utf8' }).trim().replace(/^temporal version /, '');
      // A `go install` build reports 0.0.0-DEV; phasegate pins the tag it builds.
      if (temporalCli.includes('0.0.0-DEV')) temporalCli = temporalCli.replace('0.0.0-DEV', 'v1.5.1 (go install build)');
    } catch {
      temporalCli = `${temporalCliPath} (version unknown)`;
    }
  }
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
    node: process.version,
    temporalCli,
    platform: `${process.platform} ${process.arch}`,
  };
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of a sample, in the sample's unit, rounded to 0.1. */
export function percentiles(sample: readonly number[]): Percentiles {
  if (sample.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = [...sample].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { count: sorted.length, p50: round(at(0.5), 1), p95: round(at(0.95), 1), p99: round(at(0.99), 1), max: round(sorted.at(-1)!, 1), mean: round(mean, 1) };
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function markdownTable(headers: string[], rows: Array<Array<string | number | boolean | undefined>>): string {
  const cell = (v: string | number | boolean | undefined): string => (v === undefined ? '' : String(v).replace(/\|/g, '\\|'));
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function machineLine(m: Machine): string {
  const temporal = m.temporal ?? (process.env.PHASEGATE_BENCH_DB === 'memory' ? 'Temporal dev server on in-memory SQLite' : 'Temporal dev server on a SQLite file');
  return `machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB RAM, load ${m.loadAverage1m} at start, Node ${m.node}, Temporal CLI ${m.temporalCli.replace(/\n/g, ' ')}; ${temporal}`;
}

/** Prints the figures: a JSON document (one line, machine-readable) then the human table. */
export function printReport(name: string, json: Record<string, unknown>, table: string, notes: string[] = []): void {
  console.log(JSON.stringify({ bench: name, at: new Date().toISOString(), ...json }));
  console.log('');
  console.log(`### ${name}`);
  console.log('');
  console.log(table);
  for (const note of notes) console.log(`\n${note}`);
}

/** Progress for humans, on stderr so stdout stays JSON + table. */
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns true or the deadline passes; returns whether it held. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** A small seeded PRNG (mulberry32), so fault patterns are reproducible with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

