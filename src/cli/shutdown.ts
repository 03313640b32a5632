/** Resolves on the first SIGINT or SIGTERM, so long-running commands can stop their parts in order. */
export function untilShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}
