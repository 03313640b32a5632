import { Command } from 'commander';
import { sandboxOptionsFromEnv, startSandbox } from '../../sandbox';
import { runUntilStopped } from '../lifetime';
import { DEFAULT_SANDBOX_PORT, explainListenError, parsePort } from '../ports';

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('run the local SIR API emulator alone (for docker-compose and manual testing)')
    .option('--port <port>', 'listen port (default PHASEGATE_SANDBOX_PORT or 4566)', parsePort)
    .option('--host <host>', 'listen address (default 127.0.0.1; 0.0.0.0 in containers)')
    .action((opts: { port?: number; host?: string }) =>
      runUntilStopped(async (lifetime) => {
        const fromEnv = sandboxOptionsFromEnv(process.env);
        const port = opts.port ?? fromEnv.port ?? DEFAULT_SANDBOX_PORT;
        const sandbox = await startSandbox({ ...fromEnv, port, host: opts.host ?? fromEnv.host }).catch((err: unknown) => {
          throw explainListenError(err, port, 'SIR sandbox');
        });
        lifetime.started('the SIR sandbox', { stop: () => sandbox.close() });
        console.log(`SIR sandbox listening on ${sandbox.url} (admin routes under ${sandbox.url}/__sandbox)`);
      }),
    );
}
