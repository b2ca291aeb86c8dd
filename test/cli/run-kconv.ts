/** Runs the built `kconv` as a user would: a real process, its exit code, stdout and stderr. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const BIN = join(ROOT, 'bin', 'kconv.js');

export function kconv(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 120_000,
    // `verify --json` over every golden case prints about 1 MB, spawnSync's default limit
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
