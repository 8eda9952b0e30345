import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A Redis for tests: REDIS_URL when set (the project's test script points it at a throwaway
 * Redis), otherwise a private redis-server started here on a random port, without persistence,
 * and stopped by stop(). Never the Redis on 6379.
 */
export async function testRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = `redis://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error('not ready within 5 s')), 5000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`Could not start redis-server on port ${port} (set REDIS_URL to use another Redis): ${error.message}\n${output}`));
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve();
      }
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
