/**
 * The optional JSON file that lets sandbox cases survive a restart (`phasegate dev` keeps its
 * Temporal history across restarts, so the cases those workflows drive must survive too).
 *
 * Writes replace the file atomically (temp file + rename), so a crash mid-write leaves the previous
 * state rather than half a document. Saves requested while a write is running are coalesced into
 * one more write of the then-current state, so a burst of changes costs at most two writes.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ALL_CASE_STATUSES, ENGAGEMENT_TYPES, RESOLVER_TYPES, isCaseStatus, type CaseStatus } from '../domain/case/status';
import type { CaseStoreSnapshot } from './case-store';

const FORMAT = 'phasegate-sir-sandbox';
const VERSION = 1;

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const storedCaseSchema = z.object({
  caseId: z.string(),
  caseArn: z.string(),
  title: z.string(),
  description: z.string(),
  caseStatus: z.custom<CaseStatus>(isCaseStatus, { message: `must be one of: ${ALL_CASE_STATUSES.join(', ')}` }),
  resolverType: z.enum(RESOLVER_TYPES),
  engagementType: z.enum(ENGAGEMENT_TYPES),
  reportedIncidentStartDate: isoDate,
  impactedAccounts: z.array(z.string()),
  watchers: z.array(z.object({ email: z.string(), name: z.string().optional(), jobTitle: z.string().optional() })),
  threatActorIpAddresses: z.array(z.object({ ipAddress: z.string(), userAgent: z.string().optional() })),
  impactedServices: z.array(z.string()),
  impactedAwsRegions: z.array(z.object({ region: z.string() })),
  tags: z.record(z.string(), z.string()),
  createdDate: isoDate,
  lastUpdatedDate: isoDate,
  closedDate: isoDate.optional(),
});

const storedCommentSchema = z.object({
  caseId: z.string(),
  commentId: z.string(),
  body: z.string(),
  creator: z.string(),
  createdDate: isoDate,
});

const tokenRecords = z.record(z.string(), z.object({ requestFingerprint: z.string(), resultId: z.string() }));

const stateFileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  cases: z.array(storedCaseSchema),
  comments: z.array(storedCommentSchema),
  clientTokens: z.object({ CreateCase: tokenRecords, CreateCaseComment: tokenRecords }),
});

export class StateFile {
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly snapshot: () => CaseStoreSnapshot,
  ) {}

  /**
   * The saved state, or undefined when there is no file yet. A file that exists but cannot be read
   * is an error: starting empty would overwrite the user's cases at the first change.
   */
  async load(): Promise<CaseStoreSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      throw new Error(`sandbox state file ${this.path} is not valid JSON (${(err as Error).message}); move it away to start empty`, { cause: err });
    }
    const parsed = stateFileSchema.safeParse(document);
    if (!parsed.success) {
      throw new Error(`sandbox state file ${this.path} is not a ${FORMAT} v${VERSION} file: ${z.prettifyError(parsed.error)}`);
    }
    const { cases, comments, clientTokens } = parsed.data;
    return { cases, comments, clientTokens };
  }

  /** Resolves once a write that includes every change made before this call has reached the disk. */
  save(): Promise<void> {
    this.dirty = true;
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Waits for any pending write; used on shutdown. */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      await this.write(this.snapshot());
    }
  }

  private async write(snapshot: CaseStoreSnapshot): Promise<void> {
    const document = { format: FORMAT, version: VERSION, savedAt: new Date().toISOString(), ...snapshot };
    const temp = `${this.path}.${process.pid}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(temp, `${JSON.stringify(document, null, 2)}\n`, 'utf8');
    await rename(temp, this.path);
  }
}
