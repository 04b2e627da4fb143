// The memberd process for the conformance suite: build it from this
// repository, start it on a free port of 127.0.0.1 with a fresh SQLite
// database and the test helpers on, and stop it. run.mjs starts one memberd
// for the whole suite; the test files reach it through harness.mjs.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (conformance/ sits in it). */
export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Builds memberd into dir and returns the binary's path. */
export async function buildMemberd(dir) {
  const binary = join(dir, 'memberd');
  await run('go', ['build', '-o', binary, './cmd/memberd'], { cwd: repoRoot });
  return binary;
}

/**
 * Starts memberd: builds it, makes a temp dir with a fresh database, serves
 * on 127.0.0.1:0 and learns the port from its "memberd listening" log line.
 * Returns {url, binary, database, dir, stop}; stop() ends the process (SIGTERM,
 * then SIGKILL if it lingers) and removes the temp dir.
 */
export async function startMemberd({ startTimeoutMs = 15_000 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'memberd-conformance-'));
  let proc;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((ok) => proc.once('exit', ok));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const binary = await buildMemberd(dir);
    const database = join(dir, 'memberd.db');
    proc = spawn(binary, ['serve', '--addr', '127.0.0.1:0', '--database', database, '--test-helpers',
      '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await listeningURL(proc, startTimeoutMs);
    proc.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`memberd exited while the suite ran (code ${code}, signal ${signal})\n`);
    });
    return { url, binary, database, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// listeningURL reads memberd's JSON log until it says where it listens. Log
// lines at warn and above are passed on to this process's stderr.
function listeningURL(proc, timeoutMs) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`memberd did not start within ${timeoutMs} ms`)), timeoutMs);
    proc.once('exit', (code, signal) => fail(new Error(`memberd exited early (code ${code}, signal ${signal})`)));
    createInterface({ input: proc.stderr }).on('line', (line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        process.stderr.write(`memberd: ${line}\n`);
        return;
      }
      if (entry.msg === 'memberd listening') {
        clearTimeout(timer);
        ok(entry.url);
      } else if (entry.level !== 'INFO') {
        process.stderr.write(`memberd: ${line}\n`);
      }
    });
  });
}

/** Runs a memberd CLI command with --json against database; returns its JSON. */
export async function cli(binary, database, args) {
  const { stdout } = await run(binary, [...args, '--database', database, '--json']);
  return JSON.parse(stdout);
}
