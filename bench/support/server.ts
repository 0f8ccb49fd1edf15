import { spawn, type ChildProcess } from 'node:child_process';
import { processCpuMicros } from './cpu.js';

/** A server started as a child process, for benchmarks. */
export interface RunningServer {
  url: string;
  process: ChildProcess;
  /** CPU time (user + system) the process has used so far, in microseconds (Linux). */
  cpuMicros(): number;
  /** The process's heap after a full GC, when started with `heapProbe`. */
  heapUsed(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts `script` (default: the built demo server) with `env`, and resolves once it listens.
 * With `heapProbe`, the process runs with `--expose-gc` and answers heap questions over IPC;
 * with `under`, Node runs under that command (a tool and its arguments, such as valgrind's).
 */
export function startServer(
  env: Record<string, string>,
  script = 'dist/src/main.js',
  options: { heapProbe?: boolean; under?: readonly string[] } = {},
): Promise<RunningServer> {
  const nodeArgs = options.heapProbe ? ['--expose-gc', '--import', './dist/bench/support/heap-probe.js'] : [];
  const [command, ...args] = [...(options.under ?? []), process.execPath, ...nodeArgs, script];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe', ...(options.heapProbe ? ['ipc' as const] : [])],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Listening on (http:\/\/[\w.:[\]-]+)/.exec(output)?.[1];
      if (!url) return;
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      resolve({
        url,
        process: child,
        cpuMicros: () => processCpuMicros(child.pid!),
        heapUsed: () => askHeap(child),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill();
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening:\n${output}`)));
  });
}

function askHeap(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { heapUsed: number }).heapUsed));
    child.send('heap');
  });
}
