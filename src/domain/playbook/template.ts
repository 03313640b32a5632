/**
 * The `{{alert.<field>}}` placeholders of a playbook's case title and description. The set is closed
 * and checked when playbooks load, so a typo fails at start-up instead of opening a case titled
 * "GuardDuty {{alert.typ}}" at 3 a.m.
 */
export const CASE_TEMPLATE_FIELDS = [
  'id',
  'source',
  'type',
  'title',
  'description',
  'severity',
  'accountId',
  'region',
  'resourceId',
] as const;

export type CaseTemplateField = (typeof CASE_TEMPLATE_FIELDS)[number];

/** The fields as an author writes them: `{{alert.id}}`, `{{alert.source}}`, … */
export const CASE_TEMPLATE_PLACEHOLDERS: readonly string[] = CASE_TEMPLATE_FIELDS.map((field) => `{{alert.${field}}}`);

export type CaseTemplateAlert = Record<string, string | number | undefined>;

// Spaces inside the braces are tolerated because Mustache-style templates usually allow them.
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface PlaceholderProblem {
  placeholder: string;
  reason: 'unknown' | 'unclosed';
}

/** Placeholders a template uses that renderCaseTemplate could not fill. */
export function findTemplateProblems(template: string): PlaceholderProblem[] {
  const problems: PlaceholderProblem[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (fieldOf(match[1] ?? '') === undefined) problems.push({ placeholder: match[0], reason: 'unknown' });
  }
  const leftover = template.replace(PLACEHOLDER, '');
  const unclosed = /\{\{[^}]{0,40}/.exec(leftover);
  if (unclosed) problems.push({ placeholder: unclosed[0], reason: 'unclosed' });
  return problems;
}

/**
 * Fills the placeholders from a normalised alert. A field the alert lacks renders as an empty string;
 * the result is not truncated, so callers keep SIR's length limits (title ≤ 300, description ≤ 8000).
 * Values are inserted once and never re-expanded, so alert text cannot inject placeholders.
 */
export function renderCaseTemplate(template: string, alert: CaseTemplateAlert): string {
  return template.replace(PLACEHOLDER, (whole, inner: string) => {
    const field = fieldOf(inner);
    if (field === undefined) return whole;
    const value = Object.prototype.hasOwnProperty.call(alert, field) ? alert[field] : undefined;
    return value === undefined ? '' : String(value);
  });
}

function fieldOf(inner: string): CaseTemplateField | undefined {
  if (!inner.startsWith('alert.')) return undefined;
  const name = inner.slice('alert.'.length);
  return (CASE_TEMPLATE_FIELDS as readonly string[]).includes(name) ? (name as CaseTemplateField) : undefined;
}
