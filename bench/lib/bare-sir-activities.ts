/**
 * The bare workflow's SIR activities: the SIR client called directly, with no metrics, no error
 * mapping and no checks beyond what the calls need.
 */
import type { SirClient } from '../../src/sir';
import type { NewCaseSpec } from '../../src/domain/case/playbook-input';
import type { SelfManagedStatus } from '../../src/domain/case/status';

export interface BareSirCase {
  newCase: NewCaseSpec;
  clientToken: string;
  steps: SelfManagedStatus[];
}

export function createBareSirActivities(sir: SirClient) {
  return {
    benchCreateCase: async (request: BareSirCase): Promise<{ caseId: string }> => {
      const { caseId } = await sir.createCase({ ...request.newCase, clientToken: request.clientToken, reportedIncidentStartDate: new Date(request.newCase.reportedIncidentStartDate) });
      return { caseId };
    },
    benchComment: async (caseId: string, clientToken: string): Promise<void> => {
      await sir.createCaseComment({ caseId, body: 'bench: a playbook now drives this case', clientToken: `${clientToken}/comment` });
    },
    /** GetCase, then the write, as casePlaybook's read-before-write move does. */
    benchMove: async (caseId: string, to: SelfManagedStatus | 'Closed'): Promise<void> => {
      await sir.getCase(caseId);
      if (to === 'Closed') await sir.closeCase(caseId);
      else await sir.updateCaseStatus(caseId, to);
    },
  };
}

export type BareSirActivities = ReturnType<typeof createBareSirActivities>;
