// Real infrastructure repositories for the Terraform procedures: a git repository in a temp dir
// with a good and a bad commit of `terraform_data` resources (built in to OpenTofu, so no
// provider is downloaded), applied with the OpenTofu `npm run tools` built, and a local backend.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolPath } from './tools.js';

const execFileAsync = promisify(execFile);

export const tofuPath = (): string => toolPath('tofu');

const created: string[] = [];

/** A temp dir that removeTempDirs() deletes (call it in afterAll). */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Terraform's environment for tests: no warning about a missing CLI config file. */
export function tofuEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) env.TF_CLI_CONFIG_FILE = '';
  return env;
}

export async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-C', repo, ...args]);
  return stdout.trim();
}

export async function tofu(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(tofuPath(), [...args, '-no-color'], { cwd: dir, env: tofuEnv() });
  return stdout;
}

export async function applyHere(dir: string): Promise<void> {
  await tofu(dir, ['init', '-input=false']);
  await tofu(dir, ['apply', '-input=false', '-auto-approve']);
}

/** Resource addresses and their `input` in the local state of `dir`. */
export function stateInputs(dir: string, name = 'terraform.tfstate'): Record<string, unknown> {
  const file = path.join(dir, name);
  const state = JSON.parse(readFileSync(file, 'utf8')) as {
    resources: { type: string; name: string; instances: { attributes: { input?: { value?: unknown } } }[] }[];
  };
  return Object.fromEntries(
    state.resources.map((r) => [`${r.type}.${r.name}`, r.instances[0]?.attributes.input?.value]),
  );
}

export function stateSerial(dir: string): number {
  return (JSON.parse(readFileSync(path.join(dir, 'terraform.tfstate'), 'utf8')) as { serial: number }).serial;
}

export interface InfraRepo {
  repo: string;
  good: string;
  bad: string;
  /** Lines the `local-exec` provisioners appended: one per resource creation, ever. */
  provisioned(): string[];
}

/**
 * The good config: `a` ("v1") and `b` (created with a provisioner that logs and takes
 * `provisionSeconds`). The bad commit changes `a` to "v2", removes `b` and adds `c`: reverting
 * it updates `a`, creates `b` again and destroys `c`.
 */
export { tempDir };

export async function infraRepo(options: { provisionSeconds?: number } = {}): Promise<InfraRepo> {
  const repo = tempDir('infra-');
  // Outside the repository (it must stay clean), but removed with the other temp dirs.
  const log = path.join(tempDir('infra-log-'), 'provisioned.log');
  const sleep = options.provisionSeconds ?? 0;
  const provisioned = (name: string) => `
resource "terraform_data" "${name}" {
  input = "${name}1"
  provisioner "local-exec" {
    command = "echo ${name} >> ${log}; sleep ${sleep}"
  }
}
`;
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['config', 'user.email', 'sre@example.com']);
  await git(repo, ['config', 'user.name', 'SRE']);
  writeFileSync(path.join(repo, '.gitignore'), '.terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n');
  writeFileSync(path.join(repo, 'main.tf'), `resource "terraform_data" "a" {\n  input = "v1"\n}\n${provisioned('b')}`);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', 'good: a v1 and b']);
  const good = await git(repo, ['rev-parse', 'HEAD']);
  await applyHere(repo);
  writeFileSync(path.join(repo, 'main.tf'), `resource "terraform_data" "a" {\n  input = "v2"\n}\n${provisioned('c')}`);
  await git(repo, ['commit', '-q', '-am', 'bad: a v2, b replaced by c']);
  const bad = await git(repo, ['rev-parse', 'HEAD']);
  await applyHere(repo);
  return {
    repo,
    good,
    bad,
    provisioned: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
  };
}

/** A plain working directory (no git) whose state went through two applies: v1 (a, b) then v2 (a, c). */
export async function stateDir(): Promise<string> {
  const dir = tempDir('tfstate-');
  writeFileSync(
    path.join(dir, 'main.tf'),
    'resource "terraform_data" "a" { input = "v1" }\nresource "terraform_data" "b" { input = "b1" }\n',
  );
  await applyHere(dir);
  writeFileSync(
    path.join(dir, 'main.tf'),
    'resource "terraform_data" "a" { input = "v2" }\nresource "terraform_data" "c" { input = "c1" }\n',
  );
  await applyHere(dir);
  mkdirSync(path.join(dir, 'backups'), { recursive: true });
  return dir;
}

/**
 * Holds the state lock of `dir` the way a person does: `tofu apply` waiting at its prompt (a
 * replacement of `address`, so there is something to approve).
 */
export async function holdStateLock(dir: string, address: string): Promise<{ release(): Promise<void> }> {
  const child: ChildProcess = spawn(tofuPath(), ['apply', '-no-color', `-replace=${address}`], {
    cwd: dir,
    env: { ...tofuEnv(), TF_INPUT: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Enter a value')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tofu apply did not prompt:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async release() {
      child.stdin?.end('no\n');
      await exited;
    },
  };
}

/** `atmos` as `npm run tools` built it, running our OpenTofu. */
export function atmosEnv(): NodeJS.ProcessEnv {
  return { ...tofuEnv(), ATMOS_COMPONENTS_TERRAFORM_COMMAND: tofuPath(), ATMOS_VERSION_CHECK_ENABLED: 'false' };
}

/**
 * An atmos repository: component `app` (one `terraform_data` whose input is the stack's `label`)
 * in stack `prod`. The good commit sets label "v1", the bad one "v2"; both applied with
 * `atmos terraform apply app -s prod`.
 */
export async function atmosRepo(): Promise<{ repo: string; good: string; bad: string; stateDir: string }> {
  const repo = tempDir('atmos-');
  mkdirSync(path.join(repo, 'components', 'terraform', 'app'), { recursive: true });
  mkdirSync(path.join(repo, 'stacks'));
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['config', 'user.email', 'sre@example.com']);
  await git(repo, ['config', 'user.name', 'SRE']);
  writeFileSync(
    path.join(repo, '.gitignore'),
    '.terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n*.tfvars.json\n*.planfile\nbackend.tf.json\n',
  );
  writeFileSync(
    path.join(repo, 'atmos.yaml'),
    [
      'base_path: "."',
      'components:',
      '  terraform:',
      '    base_path: "components/terraform"',
      '    auto_generate_backend_file: false',
      'stacks:',
      '  base_path: "stacks"',
      '  included_paths: ["**/*"]',
      '  name_pattern: "{stage}"',
      'logs:',
      '  level: Warning',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(repo, 'components', 'terraform', 'app', 'main.tf'),
    'variable "label" { type = string }\nvariable "stage" { type = string }\nresource "terraform_data" "app" { input = var.label }\n',
  );
  const stack = (label: string) =>
    `vars:\n  stage: prod\ncomponents:\n  terraform:\n    app:\n      vars:\n        label: "${label}"\n`;
  const apply = () =>
    execFileAsync(
      toolPath('atmos'),
      ['terraform', 'apply', 'app', '-s', 'prod', '--', '-auto-approve', '-input=false'],
      {
        cwd: repo,
        env: atmosEnv(),
      },
    );
  writeFileSync(path.join(repo, 'stacks', 'prod.yaml'), stack('v1'));
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', 'good: app v1']);
  const good = await git(repo, ['rev-parse', 'HEAD']);
  await apply();
  writeFileSync(path.join(repo, 'stacks', 'prod.yaml'), stack('v2'));
  await git(repo, ['commit', '-q', '-am', 'bad: app v2']);
  const bad = await git(repo, ['rev-parse', 'HEAD']);
  await apply();
  return {
    repo,
    good,
    bad,
    stateDir: path.join(repo, 'components', 'terraform', 'app', 'terraform.tfstate.d', 'prod'),
  };
}
