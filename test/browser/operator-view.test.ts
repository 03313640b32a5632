/**
 * The operator's view, end to end in a real browser: `phasegate dev --demo` opens a case that waits
 * for an IR lead; in the Temporal Web UI the operator finds it by SirCaseId and sees its summary,
 * its search attributes and what it waits for; after an approval through the API a reload shows the
 * next SIR status. Screenshots land in .phasegate/screenshots/ (ignored by git).
 *
 * Needs Debian's chromium (installed with apt when missing, as root) and the Temporal CLI that
 * scripts/test.ts provides (PHASEGATE_TEMPORAL_CLI).
 */
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { ensureChromium, launchHeadlessChromium, type HeadlessChromium } from '../helpers/chromium';
import { waitFor } from '../helpers/wait';
import { REPO_ROOT, isPortFree, startPhasegateDev, type PhasegateDev } from './phasegate-dev';

const SCREENSHOTS = join(REPO_ROOT, '.phasegate', 'screenshots');
const PLAYBOOK = 'guardduty-high-severity';
const DETECTION = 'Detection and Analysis';
const CONTAINMENT = 'Containment, Eradication and Recovery';
/** Visibility (the list, search attributes) trails the workflow by a moment; the UI caches too. */
const UI_LAG_MS = 30_000;

interface CaseStateBody {
  caseId?: string;
  status?: string;
  phase?: string;
  pendingApproval?: { approvalId: number; target: string; approvers: string[] };
}

async function api<T>(dev: PhasegateDev, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${dev.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${dev.demoToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The UI is polled twice a second: each probe reads or reloads a page. */
function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, lastSeen?: () => string): Promise<T> {
  return waitFor(what, probe, timeoutMs, { intervalMs: 500, lastSeen });
}

/** The Web UI renders summaries and details as markdown in an iframe right after their heading. */
function markdownPanel(page: Page, heading: string): FrameLocator {
  return page.locator(`xpath=//h3[normalize-space(.)="${heading}"]/following::iframe[1]`).contentFrame();
}

async function panelText(page: Page, heading: string, expected: RegExp, timeoutMs = 15_000): Promise<string> {
  const body = markdownPanel(page, heading).locator('body');
  let text = '';
  await eventually(`"${heading}" to show ${String(expected)}`, timeoutMs, async () => {
    text = (await body.innerText({ timeout: 2_000 })).trim();
    return expected.test(text) ? text : undefined;
  }, () => JSON.stringify(text));
  return text;
}

/** The search attributes as the "Search Attributes" tab shows them: a read-only JSON editor. */
async function shownSearchAttributes(page: Page): Promise<Record<string, unknown>> {
  const editor = page.locator('xpath=//h3[normalize-space(.)="Search Attributes"]/following::*[contains(concat(" ", @class, " "), " cm-content ")][1]');
  const text = await editor.innerText({ timeout: 10_000 });
  const parsed = JSON.parse(text) as { indexedFields?: Record<string, unknown> };
  assert.ok(parsed.indexedFields, `the Search Attributes tab shows no indexedFields: ${text}`);
  return parsed.indexedFields;
}

/** Waits until the page's main area (outside the markdown iframes) shows `expected`. */
async function mainTextMatching(page: Page, expected: RegExp, timeoutMs = 15_000): Promise<string> {
  let text = '';
  return eventually(`the page to show ${String(expected)}`, timeoutMs, async () => {
    text = await page.locator('main').innerText({ timeout: 2_000 });
    return expected.test(text) ? text : undefined;
  }, () => text.slice(0, 2_000));
}

async function screenshot(page: Page, name: string, t: TestContext): Promise<string> {
  const path = join(SCREENSHOTS, `operator-view-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
  return path;
}

async function openTab(page: Page, testId: string, urlSuffix: string): Promise<void> {
  await page.locator(`[data-testid="${testId}"]`).click();
  await page.waitForURL((url) => url.pathname.endsWith(urlSuffix), { timeout: 15_000 });
}

describe('the operator view in the Temporal Web UI (phasegate dev --demo)', { timeout: 15 * 60_000 }, () => {
  let dev: PhasegateDev | undefined;
  let browser: HeadlessChromium | undefined;
  const startedAt = Date.now();

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const t0 = Date.now();
    // apt may take minutes on a fresh machine: in parallel with the dev stack, and outside the test's own budget.
    const results = await Promise.allSettled([
      ensureChromium((line) => console.log(`[browser test] ${line}`)).then(() => {
        console.log(`[browser test] chromium ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }),
      startPhasegateDev().then((started) => {
        dev = started;
        console.log(`[browser test] phasegate dev --demo ready after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${started.uiUrl}, case workflow ${started.demoWorkflowId}`);
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, { timeout: 12 * 60_000 });

  after(async () => {
    await browser?.close();
    if (dev) {
      const d = dev;
      const t0 = Date.now();
      await d.stop();
      console.log(`[browser test] phasegate dev stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s (whole file ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
      for (const [name, port] of Object.entries(d.ports) as Array<[string, number]>) {
        assert.ok(await isPortFree(port), `port ${port} (${name}) is still taken after phasegate dev stopped`);
      }
    }
  });

  it('finds the demo case by SirCaseId, shows its summary, search attributes and pending approval, and the next status after approval', { timeout: 5 * 60_000 }, async (t) => {
    assert.ok(dev, 'phasegate dev did not start');
    const d = dev;
    const mark = (() => {
      let last = Date.now();
      return (step: string): void => {
        const now = Date.now();
        t.diagnostic(`${step}: ${((now - last) / 1000).toFixed(1)} s`);
        last = now;
      };
    })();

    // The case the demo alert opened, once it waits for its first approval.
    const opened = await eventually('the demo case to wait for approval', 60_000, async () => {
      const res = await api<CaseStateBody>(d, 'GET', `/v1/cases/${encodeURIComponent(d.demoWorkflowId)}`);
      return res.status === 200 && res.body.caseId && res.body.pendingApproval ? res.body : undefined;
    });
    const caseId = opened.caseId!;
    assert.match(caseId, /^\d+$/);
    assert.equal(opened.status, DETECTION);
    assert.equal(opened.pendingApproval!.target, CONTAINMENT);
    assert.deepEqual(opened.pendingApproval!.approvers, ['group:ir-leads']);
    mark(`case ${caseId} waits for approval`);

    browser = await launchHeadlessChromium({ viewport: { width: 1600, height: 1000 } });
    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    mark('chromium launched');

    try {
      // 1. The workflows list, filtered by a visibility query on the SIR case id.
      const listUrl = (query: string): string => `${d.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
      const rows = page.locator('[data-testid="workflows-summary-configurable-table-row"]');
      const noResults = page.getByRole('heading', { name: 'No Results', exact: true });
      await page.goto(listUrl(`SirCaseId="${caseId}"`), { waitUntil: 'domcontentloaded' });
      await eventually(`the list filtered by SirCaseId="${caseId}" to show ${d.demoWorkflowId}`, UI_LAG_MS, async () => {
        await Promise.race([rows.first().waitFor({ timeout: 5_000 }), noResults.waitFor({ timeout: 5_000 })]).catch(() => undefined);
        if ((await rows.count()) > 0) return true;
        await page.reload({ waitUntil: 'domcontentloaded' });
        return undefined;
      });
      assert.equal(await rows.count(), 1, 'the SirCaseId filter lists exactly one workflow');
      const row = rows.first();
      const rowText = await row.innerText();
      assert.ok(rowText.includes(d.demoWorkflowId), `the row names the demo workflow: ${rowText}`);
      assert.match(rowText, /casePlaybook/);
      assert.match(rowText, /Running/);
      // The filter the UI applied is the query from the URL, not "all workflows".
      assert.match(await page.locator('main').innerText(), new RegExp(`SirCaseId\\s*=\\s*"${caseId}"`));
      await screenshot(page, '1-list-by-sir-case-id', t);
      mark('list filtered by SirCaseId');

      // The filter really filters: another case id lists nothing.
      await page.goto(listUrl('SirCaseId="0000000000"'), { waitUntil: 'domcontentloaded' });
      await noResults.waitFor();
      assert.equal(await rows.count(), 0, 'an unknown SirCaseId lists no workflow');
      await page.goBack({ waitUntil: 'domcontentloaded' });
      await rows.first().waitFor();

      // 2. Open the case's workflow from its row.
      await row.getByRole('link', { name: d.demoWorkflowId, exact: true }).first().click();
      await page.waitForURL((url) => url.pathname.includes(`/workflows/${encodeURIComponent(d.demoWorkflowId)}/`));
      const heading = page.locator('[data-testid="workflow-id-heading"]');
      assert.ok((await heading.innerText()).replace(/\s+/g, '').includes(d.demoWorkflowId), 'the page is the demo workflow');
      const workflowUrl = page.url().replace(/\/(history|user-metadata|search-attributes)(\/.*)?$/, '');
      mark('workflow page opened');

      // The workflow input is encrypted in Temporal; the UI shows it decoded through phasegate's codec server.
      const connection = await Connection.connect({ address: `127.0.0.1:${d.ports.temporal}` });
      try {
        const history = await new Client({ connection }).workflow.getHandle(d.demoWorkflowId).fetchHistory();
        const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        assert.equal(Buffer.from(input?.metadata?.encoding ?? []).toString(), 'binary/encrypted', 'dev encrypts payloads');
      } finally {
        await connection.close();
      }
      const decoded = await mainTextMatching(page, /"title":\s*"GuardDuty UnauthorizedAccess/, UI_LAG_MS);
      assert.match(decoded, /111122223333/, 'the decoded input carries the impacted account');
      await screenshot(page, '0-decoded-input', t);
      mark('decoded input shown');

      // 3. Summary, details, current details: the "User Metadata" tab.
      await openTab(page, 'user-metadata-tab', '/user-metadata');
      const summary = await panelText(page, 'Summary', new RegExp(`playbook ${PLAYBOOK}`));
      assert.match(summary, new RegExp(`(SIR case ${caseId}|new SIR case for alert ${d.demoWorkflowId.replace(/^case-/, '')}) · playbook ${PLAYBOOK}`), `the summary names the case: ${summary}`);
      const details = await panelText(page, 'Details', new RegExp(`Playbook ${PLAYBOOK}`));
      assert.match(details, new RegExp(`${CONTAINMENT} — approval by group:ir-leads`), `the details list the gated steps: ${details}`);
      const pending = await panelText(page, 'Current Details', /Waiting for approval #1 by group:ir-leads/);
      assert.match(pending, new RegExp(`Waiting for approval #1 by group:ir-leads to move case ${caseId} to .${CONTAINMENT}.`), `the current details: ${pending}`);
      // The wait itself carries a summary, listed with the other events that have metadata.
      await mainTextMatching(page, /Timer\s+Waiting for approval #1 by group:ir-leads\s+Started/);
      // Since local-sir-calls each SIR call is a local activity, listed with its summary (UI 2.42 shows
      // no status for local activities).
      await mainTextMatching(page, new RegExp(`Local Activity\\s+GetCase, then UpdateCaseStatus → ${DETECTION}`));
      await mainTextMatching(page, /Local Activity\s+CreateCase for alert /);
      await screenshot(page, '2-user-metadata-before-approval', t);
      mark('summary, details and pending approval shown');

      // 4. The search attributes tab.
      await openTab(page, 'search-attributes-tab', '/search-attributes');
      const before = await shownSearchAttributes(page);
      assert.equal(before.SirCaseId, caseId);
      assert.equal(before.SirCaseStatus, DETECTION);
      assert.equal(before.AwaitingApproval, true);
      assert.equal(before.PlaybookName, PLAYBOOK);
      assert.equal(typeof before.AlertSeverity, 'number');
      await screenshot(page, '3-search-attributes-before-approval', t);
      mark('search attributes shown');

      // 5. Approve as the demo user (an IR lead) through the API.
      const shown = await api<CaseStateBody>(d, 'GET', `/v1/cases/${caseId}`);
      const approvalId = shown.body.pendingApproval?.approvalId;
      assert.equal(typeof approvalId, 'number', `no approval id in ${JSON.stringify(shown.body)}`);
      const decided = await api<{ result: string; next: string; approvalId: number }>(d, 'POST', `/v1/cases/${caseId}/decisions`, { approvalId, decision: 'approve', comment: 'browser test' });
      assert.equal(decided.status, 200, `approval refused: ${JSON.stringify(decided.body)}`);
      // The answer comes once the decision is recorded; the move and the playbook's next gate follow.
      assert.deepEqual([decided.body.approvalId, decided.body.result, decided.body.next], [approvalId, 'approved', 'moving']);
      const settled = await eventually('the playbook to stop after the approved step', 30_000, async () => {
        const res = await api<CaseStateBody>(d, 'GET', `/v1/cases/${encodeURIComponent(d.demoWorkflowId)}`);
        return res.status === 200 && res.body.status === CONTAINMENT && res.body.phase !== 'running' ? res.body : undefined;
      });
      const next = settled.pendingApproval;
      mark('approved through the API');

      // 6. Reload until the UI shows the next status (visibility and the UI trail the workflow).
      let seen: Record<string, unknown> = {};
      await eventually(`the Web UI to show SirCaseStatus "${CONTAINMENT}"`, UI_LAG_MS, async () => {
        await page.reload({ waitUntil: 'domcontentloaded' });
        seen = await shownSearchAttributes(page);
        return seen.SirCaseStatus === CONTAINMENT ? seen : undefined;
      }, () => JSON.stringify(seen));
      assert.equal(seen.SirCaseId, caseId);
      assert.equal(seen.AwaitingApproval, next !== undefined, 'AwaitingApproval follows the next gate of the playbook');
      await screenshot(page, '4-search-attributes-after-approval', t);
      mark('next status shown after reload');

      await page.goto(`${workflowUrl}/user-metadata`, { waitUntil: 'domcontentloaded' });
      await mainTextMatching(page, new RegExp(`Local Activity\\s+GetCase, then UpdateCaseStatus → ${CONTAINMENT}`), UI_LAG_MS);
      if (next) {
        const nowPending = await panelText(page, 'Current Details', new RegExp(`to move case ${caseId} to .${next.target}.`), UI_LAG_MS);
        assert.match(nowPending, new RegExp(`^Waiting for approval #${next.approvalId} by group:ir-leads`));
        // An open-ended gate still shows up, with its summary, in the event list.
        await mainTextMatching(page, new RegExp(`Timer\\s+Waiting for approval #${next.approvalId} by group:ir-leads \\(no deadline\\)\\s+Started`), UI_LAG_MS);
      }
      await screenshot(page, '5-user-metadata-after-approval', t);
      mark('current details follow the approval');
    } catch (err) {
      await page.screenshot({ path: join(SCREENSHOTS, 'operator-view-failure.png'), fullPage: true }).catch(() => undefined);
      throw new Error(`${(err as Error).message}\n(page ${page.url()}; screenshot ${join(SCREENSHOTS, 'operator-view-failure.png')})\n--- phasegate dev output ---\n${d.output()}`, { cause: err });
    }
  });
});
