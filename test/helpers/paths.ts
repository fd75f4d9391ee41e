// Where the test data lives: the shared data set sits beside the repository (../shared/data),
// wherever the repository was cloned; never an absolute path of one machine.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared/data` next to the repository. */
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');
