/**
 * Assembles and starts a sandbox: state (optionally loaded from its file), the SIR API, the admin
 * routes, and the handle tests and the CLI drive it through.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { CaseStatus } from '../domain/case/status';
import { ADMIN_PREFIX, adminRoutes, type CaseChange, type CaseChangeResult } from './admin-routes';
import { CallLog } from './call-log';
import { CaseEventSink, type CaseEvent, type EventDelivery } from './case-events';
import { CaseStore, type StoredCase, type StoredComment } from './case-store';
import { FaultInjector } from './fault-injector';
import { resolveSandboxOptions, type SandboxOptions } from './options';
import { SigV4Verifier } from './sigv4-verifier';
import { sirApi } from './sir-api';
import { SirService, apiCallerPrincipal } from './sir-service';
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
  /**
   * Sets any status, as the AWS responder workflow would (e.g. Acknowledged); bypasses the transition
   * table. Emits the matching event (updatedBy `AWS Responder`) in the background when events are on.
   */
  setCaseStatus(caseId: string, status: CaseStatus): void;
  /**
   * Changes a case as an analyst in the AWS console would (or AWS, with updatedBy `AWS Responder`):
   * any status (closing included) and the resolver type. Emits Case Updated or Case Closed and waits a
   * moment (at most EVENT_WAIT_MS) for the delivery, so the answer can say how it went.
   */
  changeCase(caseId: string, change: CaseChange): Promise<CaseChangeResult>;
  /** The recent event deliveries, oldest first; empty when events are off. */
  eventDeliveries(): EventDelivery[];
  /** The `updatedBy` that events caused by calls signed with this key carry (see apiCallerPrincipal). */
  principalOf(accessKeyId: string): string;
  /** Clears cases, comments, clientTokens, faults, the call log and the list of event deliveries. */
  reset(): void;
  /** Stops listening and waits for the state file to be written. Safe to call twice. */
  close(): Promise<void>;
}

/** How long changeCase waits for an event's delivery before answering "pending". */
export const EVENT_WAIT_MS = 1_000;

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
  const events = config.events
    ? new CaseEventSink({
        ...config.events,
        accountId: config.accountId,
        region: config.region,
        onDeliveryProblem: (message) => app.log.warn(message),
      })
    : undefined;
  const service = new SirService(store, {
    region: config.region,
    accountId: config.accountId,
    illegalTransitionError: config.illegalTransitionError,
    persist: stateFile ? () => stateFile.save() : () => Promise.resolve(),
    onBackgroundError: (err) => app.log.error({ err }, `could not write the sandbox state file ${config.persistFile}`),
    ...(events && { onCaseEvent: (event: CaseEvent) => void events.emit(event) }),
  });
  const clockOffsetMs = (): number => faults.clockOffsetMs();
  const verifier = new SigV4Verifier({
    region: config.region,
    credentials: config.credentials,
    maxClockSkewSeconds: config.maxClockSkewSeconds,
    now: () => Date.now() + clockOffsetMs(),
  });

  const handle = new RunningSandbox(app, store, service, faults, calls, stateFile, events, config.accountId);
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
    private readonly events: CaseEventSink | undefined,
    private readonly accountId: string,
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
    const event = this.service.setStatusAsResponder(caseId, status);
    if (event) this.events?.emit(event);
  }

  async changeCase(caseId: string, change: CaseChange): Promise<CaseChangeResult> {
    const { updatedBy = this.accountId, ...fields } = change;
    const event = this.service.changeOutOfBand(caseId, fields, updatedBy);
    const stored = this.store.findCase(caseId)!;
    const result: CaseChangeResult = { caseId, caseStatus: stored.caseStatus, resolverType: stored.resolverType };
    if (!event) return result;
    if (!this.events) return { ...result, event: { detailType: event.detailType, delivery: 'not-configured' } };
    const { envelope, settled } = this.events.emit(event);
    // Long enough for a receiver on the same host to answer, short enough that a dead one costs a second.
    const waited = new AbortController();
    const delivery = await Promise.race([
      settled.then((d) => d.state),
      sleep(EVENT_WAIT_MS, 'pending' as const, { signal: waited.signal }).catch(() => 'pending' as const),
    ]);
    waited.abort();
    return { ...result, event: { id: envelope.id, detailType: event.detailType, delivery } };
  }

  eventDeliveries(): EventDelivery[] {
    return this.events?.deliveries() ?? [];
  }

  principalOf(accessKeyId: string): string {
    return apiCallerPrincipal(this.accountId, accessKeyId);
  }

  reset(): void {
    this.service.reset();
    this.faults.clear();
    this.calls.clear();
    this.events?.clearHistory();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.app.close();
      await this.events?.close();
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
      changeCase: (caseId, change) => this.changeCase(caseId, change),
      eventDeliveries: () => this.eventDeliveries(),
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
