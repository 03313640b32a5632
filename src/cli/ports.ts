import { InvalidArgumentError } from 'commander';
import { PortInUseError } from '../temporal/dev-server';
import { UsageError } from './usage-error';

export const DEFAULT_API_PORT = 8080;
export const DEFAULT_SANDBOX_PORT = 4566;

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`"${value}" is not a port number (0-65535).`);
  return port;
}

/** A flag wins over its environment variable, which wins over the default. */
export function apiPort(flag: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  return flag ?? envPort(env, 'PHASEGATE_PORT') ?? DEFAULT_API_PORT;
}

export function sandboxPort(flag: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  return flag ?? envPort(env, 'PHASEGATE_SANDBOX_PORT') ?? DEFAULT_SANDBOX_PORT;
}

/** Outside commander's own parsing, so the error names the variable (commander would stay silent). */
function envPort(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (!value) return undefined;
  try {
    return parsePort(value);
  } catch {
    throw new UsageError(`${name} must be a port number (0-65535), not "${value}"`);
  }
}

/** A listen that failed on a busy port, told the way `phasegate dev` tells it: which port, for what. */
export function explainListenError(err: unknown, port: number, what: string): unknown {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' ? new PortInUseError(port, what) : err;
}
