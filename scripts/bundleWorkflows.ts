// `npm run build`, second step: bundles the compiled workflows once (webpack, as the worker would
// at start) into dist/workflow-bundle.js, which `npm run worker`, `npm start` and the Dockerfile use.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../src/worker/createWorker.js';
import { prebuiltBundlePath } from '../src/worker/workflowBundle.js';

const started = Date.now();
const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger() });
writeFileSync(prebuiltBundlePath(), code);
console.log(
  `build: workflow bundle ${prebuiltBundlePath()} (${Math.round(code.length / 1024)} KiB) in ${Date.now() - started} ms`,
);

/** webpack's progress lines are noise in a build; warnings and errors still print. */
function quietLogger() {
  const print = (level: string) => (message: string) => console.error(`bundle ${level}: ${message}`);
  const quiet = () => undefined;
  return { trace: quiet, debug: quiet, info: quiet, warn: print('warn'), error: print('error'), log: quiet };
}
