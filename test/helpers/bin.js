#!/usr/bin/env node
// The `tropcert` command run from its TypeScript sources (tests see edits without a build): the
// published bin, cli/tropcert.js, runs the compiled dist/ instead.
import { register } from 'tsx/esm/api';

register();
await import('../../cli/main.ts');
