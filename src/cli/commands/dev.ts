/**
 * `phasegate dev`: the whole product on one machine. A Temporal dev server with its Web UI and a
 * SQLite file (cases survive restarts), the SIR sandbox (or real AWS with --aws), and a worker.
 * Ctrl-C stops the parts in reverse order, so no child is left holding a port.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { SANDBOX_DEFAULT_CREDENTIALS, type SirSandbox, startSandbox } from '../../sandbox';
import { resolveSirClientConfig, SirClient, type SirClientConfig } from '../../sir';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attribute-registration';
import { defaultStateDir, locateTemporalCli } from '../../temporal/temporal-cli';
import { installRuntime } from '../../temporal/runtime';
import { createPhasegateWorker } from '../../temporal/worker';
import { parsePort } from './sandbox';

interface DevOptions {
  aws?: boolean;
  temporalPort: number;
  uiPort: number;
  sandboxPort?: number;
}

export function devCommand(): Command {
  return new Command('dev')
    .description('run everything locally: Temporal dev server + Web UI, SIR sandbox, worker')
    .option('--aws', 'talk to real AWS Security Incident Response (default credential chain and region)')
    .option('--temporal-port <port>', 'Temporal frontend port', parsePort, 7233)
    .option('--ui-port <port>', 'Temporal Web UI port', parsePort, 8233)
    .option('--sandbox-port <port>', 'SIR sandbox port (default PHASEGATE_SANDBOX_PORT or 4566)', parsePort)
    .action(runDev);
}

async function runDev(opts: DevOptions): Promise<void> {
  installRuntime();
  const stateDir = defaultStateDir(process.env);
  await mkdir(stateDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(`phasegate: while stopping: ${String(err)}`));
  };

  try {
    const cli = await locateTemporalCli({ stateDir, onProgress: (line) => console.log(line) });
    const server: DevServer = await startDevServer({
      cliPath: cli.path,
      port: opts.temporalPort,
      uiPort: opts.uiPort,
      dbFile: join(stateDir, 'temporal.sqlite'),
    });
    stops.push(() => server.stop());
    await registerSearchAttributes(server);

    let sandbox: SirSandbox | undefined;
    let sirConfig: SirClientConfig;
    if (opts.aws) {
      sirConfig = await resolveSirClientConfig(process.env);
    } else {
      const sandboxPort = opts.sandboxPort ?? (process.env.PHASEGATE_SANDBOX_PORT ? parsePort(process.env.PHASEGATE_SANDBOX_PORT) : 4566);
      sandbox = await startSandbox({ port: sandboxPort, persistFile: join(stateDir, 'sandbox-cases.json') });
      stops.push(() => sandbox!.close());
      sirConfig = { region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_DEFAULT_CREDENTIALS };
    }

    const connection = await NativeConnection.connect({ address: server.address });
    stops.push(() => connection.close());
    const worker = await createPhasegateWorker({ connection, namespace: server.namespace, sir: new SirClient(sirConfig) });

    printBanner({ server, sandbox, sirEndpoint: sirConfig.endpoint ?? `AWS (${sirConfig.region})` });
    // Runs until the Temporal Runtime sees SIGINT/SIGTERM and drains the worker.
    await worker.run();
  } finally {
    await stopAll();
  }
}

async function registerSearchAttributes(server: DevServer): Promise<void> {
  // start-dev registers them on a fresh database; an older SQLite file may predate one of them.
  const connection = await Connection.connect({ address: server.address });
  try {
    await ensureSearchAttributes(connection, server.namespace);
  } finally {
    await connection.close();
  }
}

function printBanner(parts: { server: DevServer; sandbox?: SirSandbox; sirEndpoint: string }): void {
  const lines = [
    '',
    'phasegate dev is running (Ctrl-C stops everything)',
    `  Temporal Web UI   ${parts.server.uiUrl ?? '(headless)'}`,
    `  Temporal gRPC     ${parts.server.address}  (namespace ${parts.server.namespace}, task queue phasegate)`,
    `  SIR API           ${parts.sandbox ? `${parts.sandbox.url}  (local sandbox)` : parts.sirEndpoint}`,
    '',
  ];
  console.log(lines.join('\n'));
}
