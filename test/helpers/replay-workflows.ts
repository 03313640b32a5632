/**
 * What the suite's replay check (replay-server.ts) replays with: the product workflows exactly as
 * workers run them, and the test fixture workflows some tests start.
 */
export * from '../../workflows';
export { escalateToUrl, notifyOnce } from '../workflows/fixtures/notify-workflow';
export { runSirActivity } from '../activities/workflows/run-sir-activity';
export { localMove } from '../activities/workflows/local-move';
