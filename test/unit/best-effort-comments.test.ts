/**
 * Issue 12, "best effort where a miss harms nothing": repeats of one alert are mentioned on the SIR case
 * once per window with a count (src/domain/case/duplicate-window.ts), and comment bodies are kept within
 * SIR's 12,000-character limit (src/domain/sir-api/comment-body.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaseState } from '../../src/domain/case/state';
import { SIR_COMMENT_MAX_LENGTH, capCommentBody } from '../../src/domain/sir-api/comment-body';
import { DUPLICATE_COMMENT_WINDOW_MS, duplicatesDueAt, flushDuplicates, noteDuplicate } from '../../src/domain/case/duplicate-window';

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function freshCase(): CaseState {
  return { playbook: 'p', phase: 'running', stepIndex: 0, transitions: [], decisions: [], approvals: 0, duplicateAlerts: 0 };
}

describe('repeated alerts: one SIR comment per window', () => {
  it('comments the first repeat at once, counts the next ones, and mentions them together once the window passed', () => {
    const state = freshCase();
    const first = noteDuplicate(state, at(0), T0);
    assert.equal(first?.key, 'duplicate-1');
    assert.match(first.body, /arrived again at 2026-11-30T10:00:00.000Z \(duplicate #1\).*within 10m are counted/);

    for (let i = 1; i <= 499; i++) assert.equal(noteDuplicate(state, at(i * 1000), T0 + i * 1000), undefined, `repeat #${i + 1} is counted, not commented`);
    assert.equal(state.duplicateAlerts, 500);
    assert.equal(duplicatesDueAt(state), T0 + DUPLICATE_COMMENT_WINDOW_MS);
    assert.equal(flushDuplicates(state, T0 + DUPLICATE_COMMENT_WINDOW_MS - 1), undefined, 'not before the window has passed');

    const later = flushDuplicates(state, T0 + DUPLICATE_COMMENT_WINDOW_MS);
    assert.equal(later?.key, 'duplicates-2-500');
    assert.equal(later?.body, `phasegate: the same alert arrived 499 more times between ${at(1000)} and ${at(499_000)} (duplicates #2–#500); each joined this case.`);
    assert.equal(duplicatesDueAt(state), undefined, 'nothing left to mention');
    assert.equal(flushDuplicates(state, T0 + 2 * DUPLICATE_COMMENT_WINDOW_MS, { force: true }), undefined);
  });

  it('a repeat after a quiet window is commented at once again', () => {
    const state = freshCase();
    noteDuplicate(state, at(0), T0);
    const again = noteDuplicate(state, at(DUPLICATE_COMMENT_WINDOW_MS), T0 + DUPLICATE_COMMENT_WINDOW_MS);
    assert.equal(again?.key, 'duplicate-2');
  });

  it('a repeat arriving after the window passed mentions the counted ones with itself', () => {
    const state = freshCase();
    noteDuplicate(state, at(0), T0);
    noteDuplicate(state, at(5_000), T0 + 5_000);
    const combined = noteDuplicate(state, at(DUPLICATE_COMMENT_WINDOW_MS + 1), T0 + DUPLICATE_COMMENT_WINDOW_MS + 1);
    assert.equal(combined?.key, 'duplicates-2-3');
    assert.match(combined.body, /2 more times between .* \(duplicates #2–#3\)/);
  });

  it('a case that ends mentions what it counted at once (force)', () => {
    const state = freshCase();
    noteDuplicate(state, at(0), T0);
    noteDuplicate(state, at(1_000), T0 + 1_000);
    const last = flushDuplicates(state, T0 + 2_000, { force: true });
    assert.equal(last?.body, `phasegate: the same alert arrived 1 more time at ${at(1_000)} (duplicate #2); it joined this case.`);
  });
});

describe('comment bodies within SIR\'s limit', () => {
  it('leaves a body of up to 12,000 characters alone', () => {
    const body = 'x'.repeat(SIR_COMMENT_MAX_LENGTH);
    assert.equal(capCommentBody(body), body);
  });

  it('shortens a longer one to exactly 12,000 code points and says so', () => {
    const capped = capCommentBody('y'.repeat(50_000));
    assert.equal(Array.from(capped).length, SIR_COMMENT_MAX_LENGTH);
    assert.match(capped, /^y+ … \(shortened by phasegate to fit SIR's comment limit\)$/);
  });

  it('counts code points as SIR does and never splits a surrogate pair', () => {
    const emoji = '🔥'.repeat(SIR_COMMENT_MAX_LENGTH); // 24,000 UTF-16 units, 12,000 code points: fits
    assert.equal(capCommentBody(emoji), emoji);
    const capped = capCommentBody(`${emoji}🔥`);
    assert.equal(Array.from(capped).length, SIR_COMMENT_MAX_LENGTH);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(capped), 'no lone high surrogate');
  });
});
