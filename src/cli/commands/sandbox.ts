import { Command, InvalidArgumentError } from 'commander';
import { sandboxOptionsFromEnv, startSandbox } from '../../sandbox';
import { untilShutdownSignal } from '../shutdown';

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('run the local SIR API emulator alone (for docker-compose and manual testing)')
    .option('--port <port>', 'listen port (default PHASEGATE_SANDBOX_PORT or 4566)', parsePort)
    .option('--host <host>', 'listen address (default 127.0.0.1; 0.0.0.0 in containers)')
    .action(async (opts: { port?: number; host?: string }) => {
      const fromEnv = sandboxOptionsFromEnv(process.env);
      const sandbox = await startSandbox({ ...fromEnv, port: opts.port ?? fromEnv.port ?? 4566, host: opts.host ?? fromEnv.host });
      console.log(`SIR sandbox listening on ${sandbox.url} (admin routes under ${sandbox.url}/__sandbox)`);
      await untilShutdownSignal();
      await sandbox.close();
    });
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`"${value}" is not a port number (0-65535).`);
  return port;
}
