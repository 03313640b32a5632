import { Command } from 'commander';
import { parseWebhookSecrets } from '../../server/webhook-signature';
import { defaultStateDir } from '../../temporal/temporal-cli';
import { readDevCredentials } from '../dev-credentials';
import { postDemoAlert } from '../demo-alert';
import { apiPort } from '../ports';
import { UsageError } from '../usage-error';

export function demoCommand(): Command {
  const demo = new Command('demo').description('try phasegate out');
  demo
    .command('alert')
    .description('post a signed sample GuardDuty finding to a running phasegate (opens a new case)')
    .option('--url <url>', 'phasegate API (default http://127.0.0.1:PHASEGATE_PORT or 8080)')
    .option('--secret <secret>', 'webhook secret (default PHASEGATE_WEBHOOK_SECRET, else the one `phasegate dev` generated)')
    .action(async (opts: { url?: string; secret?: string }) => {
      const secret = opts.secret ?? parseWebhookSecrets(process.env.PHASEGATE_WEBHOOK_SECRET)[0] ?? (await devSecret());
      const url = opts.url ?? `http://127.0.0.1:${apiPort(undefined)}`;
      const result = await postDemoAlert(url, secret).catch((err: unknown) => {
        throw new Error(`cannot reach phasegate at ${url}: ${(err as Error).message} (is \`phasegate dev\` running?)`, { cause: err });
      });
      if (result.status !== 202) throw new Error(`phasegate answered ${result.status}: ${JSON.stringify(result.body)}`);
      console.log(JSON.stringify(result.body));
    });
  return demo;
}

async function devSecret(): Promise<string> {
  const credentials = await readDevCredentials(defaultStateDir(process.env));
  if (!credentials) throw new UsageError('no webhook secret: start `phasegate dev` first, or pass --secret / set PHASEGATE_WEBHOOK_SECRET');
  return credentials.webhookSecret;
}
