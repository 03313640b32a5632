/**
 * Custom search attributes operators filter cases by in the Web UI (SPEC §3). Search attributes are
 * stored unencrypted by Temporal, so only these non-personal values may ever go into them.
 */
import { type SearchAttributePair, SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

export type { SearchAttributePair };

export const SirCaseId = defineSearchAttributeKey('SirCaseId', SearchAttributeType.KEYWORD);
export const SirCaseStatus = defineSearchAttributeKey('SirCaseStatus', SearchAttributeType.KEYWORD);
export const PlaybookName = defineSearchAttributeKey('PlaybookName', SearchAttributeType.KEYWORD);
export const AwaitingApproval = defineSearchAttributeKey('AwaitingApproval', SearchAttributeType.BOOL);
export const AlertSeverity = defineSearchAttributeKey('AlertSeverity', SearchAttributeType.DOUBLE);
/**
 * The code path a case's run takes: the newest workflow patch it runs (since `code-version`), set by
 * the workflow itself; absent on cases started before. How old paths are found and retired:
 * docs/workflow-history.md, "Retiring an old code path".
 */
export const PhasegateCodeVersion = defineSearchAttributeKey('PhasegateCodeVersion', SearchAttributeType.KEYWORD);

export const PHASEGATE_SEARCH_ATTRIBUTES = [SirCaseId, SirCaseStatus, PlaybookName, AwaitingApproval, AlertSeverity, PhasegateCodeVersion] as const;
