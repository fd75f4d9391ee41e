#!/usr/bin/env node
// The `tropcert` bin: runs the compiled command (dist/: in the package as published; in a clone
// `npm run build`, or `npm start` / `npm run tropcert`, which compile first). No TypeScript
// loader at run time.
try {
  await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    process.stderr.write('tropcert: not built yet: run `npm run build` in the package first\n');
    process.exit(1);
  }
  throw e;
}
