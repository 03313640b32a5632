/**
 * One problem found in a playbook file. A diagnostic, not an exception: the loader collects every
 * problem of every file so a security team fixes them in one pass instead of one restart per typo.
 */
export interface PlaybookErrorInit {
  file: string;
  /** Where in the document, e.g. `steps[2].approval.timeout`; empty for the document as a whole. */
  path: string;
  /** The step a person would point at, e.g. `step 3 "Post-incident Activities"` or `close`. */
  step?: string;
  /** Short kebab-case id, stable enough for tests and for grepping logs. */
  rule: string;
  message: string;
}

export class PlaybookError {
  readonly file: string;
  readonly path: string;
  readonly step?: string;
  readonly rule: string;
  readonly message: string;

  constructor(init: PlaybookErrorInit) {
    this.file = init.file;
    this.path = init.path;
    if (init.step !== undefined) this.step = init.step;
    this.rule = init.rule;
    this.message = init.message;
  }

  /** `<file>: <step or path>: <rule>: <message>`, one line, so each problem is one line of output. */
  toString(): string {
    const where = this.step ?? (this.path === '' ? '(document)' : this.path);
    return `${this.file}: ${where}: ${this.rule}: ${this.message}`.replace(/\s*[\r\n]+\s*/g, ' ');
  }
}

/**
 * An author's value inside a message: quoted, with control characters escaped and long text cut, so
 * one pasted blob cannot turn a one-line error into a screenful.
 */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max - 3)}...` : value);
}
