// The worker entry when tropcert runs from its TypeScript sources (tests, `node --import tsx`):
// the loader hooks of the main thread do not reach worker threads on Node 20, so this worker
// registers tsx itself and then loads the real entry, pool-worker.ts. The compiled package
// (dist/) uses dist/cli/pool-worker.js directly and never reads this file.
import { register } from 'tsx/esm/api';

register();
const { default: run } = await import('./pool-worker.ts');
export default run;
