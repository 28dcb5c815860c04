// Provider: Terraform/OpenTofu. `terraformPlanClean` runs
// `<tofu> plan -detailed-exitcode -input=false -lock=false -no-color [-var-file=...]` in the
// working directory (after `init -input=false` when it has no `.terraform` yet), with the binary
// and environment of the Terraform procedures (activities/terraform.ts: TERRAFORM_BIN, else the
// OpenTofu `npm run tools` built). Exit code 0 is passed, 2 is failed (the plan's summary line and
// the resources it would change), anything else (1, a missing directory or binary, the check's
// time limit running out) is unreadable with the reason. Read-only: no lock, no plan file, no apply.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { firstErrorLine, planTextChanges, terraformCommand } from '../../domain/terraform.js';
import { reading, type CheckResult } from '../../domain/verification.js';
import { run, terraformBinary, terraformEnv, type RunResult } from '../terraform.js';

const now = () => new Date().toISOString();

export interface TerraformCheckSettings {
  /** TERRAFORM_BIN (config.terraform.bin); unset: the OpenTofu `npm run tools` built. */
  bin?: string;
}

export function createTerraformChecks(settings: TerraformCheckSettings = {}) {
  const bin = terraformBinary(settings.bin);

  async function terraformPlanClean(spec: CheckOf<'terraformPlanClean'>): Promise<CheckResult> {
    // A relative directory is taken from the worker's working directory.
    const dir = path.resolve(spec.workingDirectory);
    const base = {
      check: 'terraformPlanClean',
      target: `${path.basename(bin)} plan in ${dir}`,
      expected: 'no changes (exit code 0)',
    };
    const unreadable = (observed: string, detail: string) => reading(base, 'unreadable', observed, now(), { detail });
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      return unreadable('no working directory', `${dir} does not exist or is not a directory`);
    }
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const env = terraformEnv();
    const terraform = async (args: string[]): Promise<RunResult> =>
      run(bin, args, dir, env, { timeoutMs: Math.max(1, deadline - Date.now()) });
    const stopped = (what: string, r: RunResult): CheckResult | undefined => {
      if (r.timedOut) {
        return unreadable(
          `${what} did not finish`,
          `${what} did not finish within the check's time limit (${spec.timeoutSeconds} s) and was stopped`,
        );
      }
      if (r.code === null) return unreadable(`${what} was killed`, `${what} ended by ${r.signal ?? 'a signal'}`);
      return undefined;
    };

    try {
      if (!existsSync(path.join(dir, '.terraform'))) {
        const init = await terraform(terraformCommand({ cwd: dir }, { op: 'init' }).args);
        const cut = stopped('init', init);
        if (cut) return cut;
        if (init.code !== 0) {
          return unreadable(`init failed (exit code ${init.code})`, firstErrorLine(`${init.stderr}\n${init.stdout}`));
        }
      }
      const plan = await terraform(
        terraformCommand(
          { cwd: dir },
          { op: 'plan', detailedExitcode: true, lock: false, lockTimeoutSeconds: 0, varFiles: spec.varFiles },
        ).args,
      );
      const cut = stopped('plan', plan);
      if (cut) return cut;
      if (plan.code === 0) return reading(base, 'passed', 'no changes', now(), { value: 0 });
      if (plan.code === 2) {
        const { summary, changes } = planTextChanges(plan.stdout);
        return reading(base, 'failed', summary ?? 'changes to outputs only', now(), {
          value: changes.length,
          detail: changes.length > 0 ? changes.join('; ') : 'no resource changes; the outputs change',
        });
      }
      return unreadable(`plan failed (exit code ${plan.code})`, firstErrorLine(`${plan.stderr}\n${plan.stdout}`));
    } catch (error) {
      // The binary is missing (`run` names it), or the command could not start.
      return unreadable('not run', (error as Error).message);
    }
  }

  return { terraformPlanClean };
}
