// What every benchmark prints: each measurement over interleaved rounds
// (A, B, A, B …, so a neighbour's load hits both sides alike), as min / median
// / max, with the machine's load average, and ratios taken within one run.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface Summary {
  min: number;
  median: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0] ?? NaN, median, max: sorted.at(-1) ?? NaN };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const format = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function formatSummary(summary: Summary, digits = 0): string {
  return `${format(summary.min, digits)} / ${format(summary.median, digits)} / ${format(summary.max, digits)}`;
}

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** Prints a table: a header row and rows of cells, columns padded to their widest cell. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(`\n${title}  (min / median / max over rounds; load average ${loadAverage()})`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/** Node with tsx, so the benchmark's helper processes run TypeScript like the benchmark does. */
export function forkTs(relativeToBench: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  const file = fileURLToPath(new URL(`../${relativeToBench}`, import.meta.url));
  return fork(file, args, { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Sends `message` to a helper process and resolves with its next message of type `reply`. */
export function ask<T extends { type: string }>(child: ChildProcess, message: object, reply: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no ${reply} from helper process within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (answer: T) => {
      if (answer.type !== reply) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** Waits for a helper process's first message of type `type`. */
export function once<T extends { type: string }>(child: ChildProcess, type: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error(`helper process sent no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: T) => {
      if (message.type !== type) return;
      settle();
      resolve(message);
    };
    const onExit = (code: number | null) => {
      settle();
      reject(new Error(`helper process exited (${code}) before sending ${type}`));
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
