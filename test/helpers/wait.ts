export interface WaitOptions {
  /** Pause between probes (ms); pages and servers under test want longer ones than state queries. */
  intervalMs?: number;
  /** What the probe last saw, for the timeout message; defaults to the last error the probe threw. */
  lastSeen?: () => string;
}

/** Polls until `probe` returns a value that is not undefined, or fails with what it last saw. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const errorSeen = lastError === undefined ? '' : lastError instanceof Error ? lastError.message : JSON.stringify(lastError);
      const seen = options.lastSeen?.() || errorSeen;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${seen ? `; last seen: ${seen}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
