// jest globalTeardown (plain JS: jest loads it outside its module mapper). Stops the local
// Kubernetes cluster when this test run started it (up.sh records who did, named by
// kubernetes-setup.js); a cluster started by hand with `npm run k8s:up`, by `npm start` or by
// another jest run is left running.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function globalTeardown() {
  const dataDir = process.env.K8S_DATA_DIR
    ? path.resolve(root, process.env.K8S_DATA_DIR)
    : path.join(root, '.data', 'k8s');
  let startedBy = '';
  try {
    startedBy = readFileSync(path.join(dataDir, 'started-by'), 'utf8').trim();
  } catch {
    return;
  }
  if (startedBy.startsWith('jest') && startedBy === process.env.K8S_STARTED_BY)
    execFileSync('bash', [path.join(root, 'scripts', 'k8s', 'down.sh')], { stdio: 'inherit' });
}
