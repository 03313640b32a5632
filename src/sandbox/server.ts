/**
 * Assembles and starts a sandbox: state (optionally loaded from its file), the SIR API, the admin
 * routes, and the handle tests and the CLI drive it through.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { CaseStatus } from '../domain/case-status';
import { ADMIN_PREFIX, adminRoutes } from './admin-routes';
import { CallLog } from './call-log';
import { CaseStore, type StoredCase, type StoredComment } from './case-store';
import { FaultInjector } from './fault-injector';
import { resolveSandboxOptions, type SandboxOptions } from './options';
import { SigV4Verifier } from './sigv4-verifier';
import { sirApi } from './sir-api';
import { SirService } from './sir-service';
import { StateFile } from './state-file';

export interface SirSandbox {
  /** Base URL to give a SIR client as its endpoint, e.g. http://127.0.0.1:4566. */
  readonly url: string;
  readonly port: number;
  readonly faults: FaultInjector;
  readonly calls: CallLog;
  /** A copy of the stored case; changing it changes nothing in the sandbox. */
  getCase(caseId: string): StoredCase | undefined;
  /** Copies of a case's comments, oldest first (the sandbox does not serve ListComments). */
  getComments(caseId: string): StoredComment[];
  /** Sets any status, as the AWS responder workflow would (e.g. Acknowledged); bypasses the transition table. */
  setCaseStatus(caseId: string, status: CaseStatus): void;
  /** Clears cases, comments, clientTokens, faults and the call log. */
  reset(): void;
  /** Stops listening and waits for the state file to be written. Safe to call twice. */
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SirSandbox> {
  const config = resolveSandboxOptions(options);
  const store = new CaseStore();
  const stateFile = config.persistFile === undefined ? undefined : new StateFile(config.persistFile, () => store.snapshot());
  const saved = await stateFile?.load();
  if (saved) store.restore(saved);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Fastify's request serializer logs no headers today; this keeps it that way if it ever does.
      redact: { paths: ['req.headers.authorization', 'req.headers["x-amz-security-token"]'], censor: '[redacted]' },
    },
    // One line per SIR call comes from the call log hook, with the operation in it.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const faults = new FaultInjector();
  const calls = new CallLog();
  const service = new SirService(store, {
    region: config.region,
    accountId: config.accountId,
    illegalTransitionError: config.illegalTransitionError,
    persist: stateFile ? () => stateFile.save() : () => Promise.resolve(),
    onBackgroundError: (err) => app.log.error({ err }, `could not write the sandbox state file ${config.persistFile}`),
  });
  const clockOffsetMs = (): number => faults.clockOffsetMs();
  const verifier = new SigV4Verifier({
    region: config.region,
    credentials: config.credentials,
    maxClockSkewSeconds: config.maxClockSkewSeconds,
    now: () => Date.now() + clockOffsetMs(),
  });

  const handle = new RunningSandbox(app, store, service, faults, calls, stateFile);
  await app.register((scope) => sirApi(scope, { service, verifier, faults, calls, clockOffsetMs }));
  await app.register((scope) => adminRoutes(scope, handle.adminDependencies()), { prefix: ADMIN_PREFIX });
  await app.listen({ host: config.host, port: config.port });
  handle.listening(app.server.address() as AddressInfo);
  return handle;
}

class RunningSandbox implements SirSandbox {
  private address: AddressInfo | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly app: FastifyInstance,
    private readonly store: CaseStore,
    private readonly service: SirService,
    readonly faults: FaultInjector,
    readonly calls: CallLog,
    private readonly stateFile: StateFile | undefined,
  ) {}

  listening(address: AddressInfo): void {
    this.address = address;
  }

  get port(): number {
    return this.requireAddress().port;
  }

  get url(): string {
    const { address, port } = this.requireAddress();
    return `http://${clientHost(address)}:${port}`;
  }

  getCase(caseId: string): StoredCase | undefined {
    const stored = this.store.findCase(caseId);
    return stored && structuredClone(stored);
  }

  getComments(caseId: string): StoredComment[] {
    return structuredClone(this.store.commentsOf(caseId));
  }

  setCaseStatus(caseId: string, status: CaseStatus): void {
    this.service.setStatusAsResponder(caseId, status);
  }

  reset(): void {
    this.service.reset();
    this.faults.clear();
    this.calls.clear();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.app.close();
      await this.stateFile?.flush();
    })();
    return this.closing;
  }

  adminDependencies(): Parameters<typeof adminRoutes>[1] {
    return {
      calls: this.calls,
      faults: this.faults,
      getCase: (caseId) => this.getCase(caseId),
      setCaseStatus: (caseId, status) => this.setCaseStatus(caseId, status),
      reset: () => this.reset(),
    };
  }

  private requireAddress(): AddressInfo {
    if (!this.address) throw new Error('the sandbox is not listening yet');
    return this.address;
  }
}

/** A wildcard bind address is not something a client can connect to; loopback is. */
function clientHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
