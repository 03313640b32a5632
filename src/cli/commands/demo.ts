import { Command } from 'commander';
import { parseWebhookSecrets } from '../../server/webhook-signature';
import { defaultStateDir } from '../../temporal/temporal-cli';
import { PhasegateApi, resolveApiTarget } from '../api-client';
import { readDevCredentials } from '../dev-credentials';
import { postDemoAlert } from '../demo-alert';
import { apiPort } from '../ports';
import { UsageError } from '../usage-error';
import { waitForCase } from '../wait-for-case';

export function demoCommand(): Command {
  const demo = new Command('demo').description('try phasegate out');
  demo
    .command('alert')
    .description('post a signed sample GuardDuty finding to a running phasegate (opens a new case)')
    .option('--url <url>', 'phasegate API (default PHASEGATE_URL, else where `phasegate dev` runs, else http://127.0.0.1:PHASEGATE_PORT or 8080)')
    .option('--secret <secret>', 'webhook secret (default PHASEGATE_WEBHOOK_SECRET, else the one `phasegate dev` generated)')
    .option('--wait', 'wait until the SIR case is open and print its id (needs the API token, as the case commands do)')
    .action(async (opts: { url?: string; secret?: string; wait?: boolean }) => {
      const dev = await readDevCredentials(defaultStateDir(process.env));
      const secret = opts.secret ?? parseWebhookSecrets(process.env.PHASEGATE_WEBHOOK_SECRET)[0] ?? dev?.webhookSecret;
      if (!secret) throw new UsageError('no webhook secret: start `phasegate dev` first, or pass --secret / set PHASEGATE_WEBHOOK_SECRET');
      const url = opts.url ?? (process.env.PHASEGATE_URL?.trim() || dev?.apiUrl || `http://127.0.0.1:${apiPort(undefined)}`);
      const result = await postDemoAlert(url, secret).catch((err: unknown) => {
        throw new Error(`cannot reach phasegate at ${url}: ${(err as Error).message} (is \`phasegate dev\` running?)`, { cause: err });
      });
      if (result.status !== 202) throw new Error(`phasegate answered ${result.status}: ${JSON.stringify(result.body)}`);
      if (!opts.wait) {
        console.log(JSON.stringify(result.body));
        return;
      }
      const { caseWorkflowId } = result.body as { caseWorkflowId: string };
      const api = new PhasegateApi({ ...(await resolveApiTarget(process.env)), url: url.replace(/\/+$/, '') });
      const state = await waitForCase(api, caseWorkflowId, (s) => s.caseId !== undefined && s.phase !== 'opening' && s.phase !== 'running');
      console.log(state.caseId);
    });
  demo
    .command('env')
    .description('print the shell variables that point the CLI and curl at this `phasegate dev`: eval "$(phasegate demo env)"')
    .action(async () => {
      const dev = await readDevCredentials(defaultStateDir(process.env));
      if (!dev?.apiUrl) throw new UsageError(`no \`phasegate dev\` has run with state in ${defaultStateDir(process.env)}; start it first (npm start)`);
      const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
      console.log(
        [
          `export PHASEGATE_URL=${quote(dev.apiUrl)}`,
          `export PHASEGATE_TOKEN=${quote(dev.demoToken)}`,
          `export PHASEGATE_WEBHOOK_SECRET=${quote(dev.webhookSecret)}`,
          ...(dev.slackFakeUrl ? [`export PHASEGATE_SLACK_FAKE_URL=${quote(dev.slackFakeUrl)}`] : []),
        ].join('\n'),
      );
    });
  return demo;
}
