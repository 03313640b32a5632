/**
 * Just enough of a Dockerfile and .dockerignore reader for the deploy tests: stages, their
 * instructions (line continuations and comments handled), RUN commands without their BuildKit
 * flags, ENV pairs, exec-form JSON arrays and Docker's ignore-pattern matching.
 */
import { readFile } from 'node:fs/promises';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV, … */
  keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  args: string;
  line: number;
}

export interface Stage {
  /** The stage name (`FROM image AS name`), or its index as a string. */
  name: string;
  /** The base image with ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Global ARGs (before the first FROM) and their defaults. */
  args: Record<string, string>;
  stages: Stage[];
}

export async function readDockerfile(path: string): Promise<Dockerfile> {
  return parseDockerfile(await readFile(path, 'utf8'));
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comment lines are dropped even inside a continuation, as Docker does.
    if (trimmed.startsWith('#')) return;
    if (!pending && trimmed === '') return;
    const continued = /\\\s*$/.test(raw);
    const piece = continued ? raw.replace(/\\\s*$/, '') : raw;
    pending = pending ? { text: `${pending.text} ${piece.trim()}`, line: pending.line } : { text: piece.trim(), line: index + 1 };
    if (!continued) {
      const match = /^(\S+)\s*(.*)$/s.exec(pending.text);
      if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
      pending = undefined;
    }
  });

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = words[0]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => args[(a ?? b)!] ?? '');
      const name = words[1]?.toUpperCase() === 'AS' ? words[2]! : String(stages.length);
      stages.push({ name, image, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [key, value] = instruction.args.split('=', 2);
        args[key!.trim()] = (value ?? '').trim();
      }
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

export function stage(dockerfile: Dockerfile, name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage "${name}" (stages: ${dockerfile.stages.map((s) => s.name).join(', ')})`);
  return found;
}

export function instructionsOf(s: Stage, keyword: string): Instruction[] {
  return s.instructions.filter((i) => i.keyword === keyword);
}

/** The shell command of each RUN, without BuildKit flags such as `--mount=type=cache,…`. */
export function runCommands(s: Stage): string[] {
  return instructionsOf(s, 'RUN').map((i) => i.args.replace(/^(?:--\S+\s+)+/, '').trim());
}

/** ENV instructions as a map (the `KEY=value …` form, with optional double quotes). */
export function envOf(s: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructionsOf(s, 'ENV')) {
    const pairs = instruction.args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g);
    for (const [, key, value] of pairs) env[key!] = value!.startsWith('"') ? (JSON.parse(value!) as string) : value!;
  }
  return env;
}

/** The last ENTRYPOINT/CMD/USER/WORKDIR of a stage (the one in effect). */
export function lastArgs(s: Stage, keyword: string): string | undefined {
  const all = instructionsOf(s, keyword);
  return all[all.length - 1]?.args;
}

/** An exec-form instruction (`["node", "x"]`) as its argv; throws on the shell form. */
export function execForm(args: string | undefined, what: string): string[] {
  if (args === undefined) throw new Error(`the runtime stage has no ${what}`);
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === 'string')) throw new Error(`${what} is not in exec form: ${args}`);
  return parsed;
}

/** `COPY --from=<stage> <src>… <dest>` lines of a stage, as source/destination pairs. */
export function copiesFrom(s: Stage, from: string): Array<{ source: string; destination: string }> {
  return instructionsOf(s, 'COPY').flatMap((i) => {
    const words = i.args.split(/\s+/);
    if (!words.includes(`--from=${from}`)) return [];
    const paths = words.filter((w) => !w.startsWith('--'));
    const destination = paths[paths.length - 1]!;
    return paths.slice(0, -1).map((source) => ({ source, destination }));
  });
}

/**
 * Docker's .dockerignore semantics: patterns are relative to the context root, `*` and `?` stay within
 * one path segment, `**` spans any number, a matching directory excludes everything under it, `!`
 * re-includes, and the last matching pattern wins.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, regex: globToRegExp(pattern) };
    });
  return (path: string) => {
    const segments = path.split('/');
    const prefixes = segments.map((_s, i) => segments.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.regex.test(p))) excluded = !rule.negate;
    }
    return excluded;
  };
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
