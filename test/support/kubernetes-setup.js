// jest globalSetup (plain JS, like the teardown). Names this test run in K8S_STARTED_BY before the
// test files start (they inherit the environment), so up.sh records which run started the cluster
// and only that run's teardown stops it: another jest run in the same checkout keeps its cluster.
export default function globalSetup() {
  process.env.K8S_STARTED_BY ??= `jest-${process.pid}`;
}
