/**
 * Loopback addresses for topologies that keep docker-compose's fixed ports: 127.0.0.0/8 is all
 * loopback on Linux, so giving each service its own 127.a.b.N lets it listen on its compose port
 * (5432, 7233…) without colliding with anything on 127.0.0.1, as each container has its own IP.
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/** One address per service (127.a.b.1, .2, … in the order given), with all of its ports free there. */
export async function allocateLoopbackHosts<S extends string>(ports: Record<S, readonly number[]>): Promise<Record<S, string>> {
  const names = Object.keys(ports) as S[];
  let lastBusy = '';
  for (let attempt = 0; attempt < 8; attempt++) {
    // A random /24 away from 127.0.0.x, where most things listen.
    const prefix = `127.${randomInt(64, 250)}.${randomInt(1, 250)}`;
    const hosts = Object.fromEntries(names.map((name, i) => [name, `${prefix}.${i + 1}`])) as Record<S, string>;
    const busy: string[] = [];
    for (const name of names) for (const port of ports[name]) if (!(await canListen(hosts[name], port))) busy.push(`${hosts[name]}:${port}`);
    if (busy.length === 0) return hosts;
    lastBusy = busy.join(', ');
  }
  throw new Error(`no loopback address range with the ports free (last tried: ${lastBusy} busy); a wildcard listener on one of ${JSON.stringify(ports)}?`);
}

export function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolveFree(true)));
  });
}
