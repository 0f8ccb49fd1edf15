import { spawn, type ChildProcess } from 'node:child_process';

/** A demo server started as a child process, for benchmarks. */
export interface RunningServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `dist/src/main.js` with `env` and resolves once it listens. */
export function startServer(env: Record<string, string>, script = 'dist/src/main.js'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Listening on (http:\/\/[\w.:[\]-]+)/.exec(output)?.[1];
      if (url) {
        child.stdout!.off('data', onData);
        resolve({
          url,
          process: child,
          stop: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', () => done()), child.kill()))),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
}
