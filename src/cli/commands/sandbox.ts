import { Command } from 'commander';
import { sandboxOptionsFromEnv, startSandbox } from '../../sandbox';
import { DEFAULT_SANDBOX_PORT, parsePort } from '../ports';
import { untilShutdownSignal } from '../shutdown';

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('run the local SIR API emulator alone (for docker-compose and manual testing)')
    .option('--port <port>', 'listen port (default PHASEGATE_SANDBOX_PORT or 4566)', parsePort)
    .option('--host <host>', 'listen address (default 127.0.0.1; 0.0.0.0 in containers)')
    .action(async (opts: { port?: number; host?: string }) => {
      const fromEnv = sandboxOptionsFromEnv(process.env);
      const sandbox = await startSandbox({ ...fromEnv, port: opts.port ?? fromEnv.port ?? DEFAULT_SANDBOX_PORT, host: opts.host ?? fromEnv.host });
      console.log(`SIR sandbox listening on ${sandbox.url} (admin routes under ${sandbox.url}/__sandbox)`);
      await untilShutdownSignal();
      await sandbox.close();
    });
}

