// `npm run test:electron`: the extension-host suites in a desktop VS Code downloaded by @vscode/test-electron
// (or the one named by $VSCODE_EXECUTABLE), with the same suite index, fixtures and settings as the offline harness.
// Machines without access to Microsoft's update server use the offline harness instead (`npm test`, test/host/run.js).
// Compiled by scripts/build.mjs to out/test/host/electron.js.
//   QED_HOST_SUITES=activation,commands,generate   which suites (default: all but `installed`)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { makeHostFixtures } from './fixtures.js';
import { MODEL_SETTINGS, WORKBENCH_SETTINGS } from './settings.js';

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH']);

function findRepo(): string {
  // out/test/host/electron.js, or test/host/electron.ts when run from source
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test/host'))) return dir;
  }
  throw new Error(`cannot find the repository root above ${__dirname}`);
}

function isNetworkError(e: unknown): boolean {
  const err = e as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  const code = err?.code ?? err?.cause?.code;
  return (code !== undefined && NETWORK_CODES.has(code))
    || /getaddrinfo|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|socket hang up|update\.code\.visualstudio\.com/i.test(String(err?.message ?? e));
}

async function main(): Promise<number> {
  const repo = findRepo();
  const suite = path.join(repo, 'out/test/host/suite/index.js');
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: run node scripts/build.mjs first`);
  const fixtures = path.join(repo, 'test-results/fixtures');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-electron-'));
  const userData = path.join(work, 'user-data');
  const workspace = path.join(work, 'workspace');
  const mochaLog = path.join(work, 'mocha.log');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'theorem.md'), '# Theorem\n\nFor every integer $n$, $n^2 - n$ is even.\n');

  let vscodeExecutablePath: string;
  try {
    // Download (or reuse the cached) VS Code first, so an offline machine fails in a second, before any other work.
    vscodeExecutablePath = process.env.VSCODE_EXECUTABLE ?? await downloadAndUnzipVSCode();
  } catch (e) {
    fs.rmSync(work, { recursive: true, force: true });
    if (!isNetworkError(e)) throw e;
    console.error(`test:electron: could not download VS Code (${e instanceof Error ? e.message : String(e)}).\n`
      + 'This machine cannot reach Microsoft\'s update server. Either point $VSCODE_EXECUTABLE at an installed VS Code,\n'
      + 'or run the same suites in the offline harness: `npm test` (test/host/run.js; install it once with\n'
      + '`bash test/host/setup.sh`).');
    return 2;
  }

  const model = await makeHostFixtures(fixtures, repo);
  const settings = { ...WORKBENCH_SETTINGS, ...MODEL_SETTINGS, 'qedNano.modelPath': model.modelPath };
  fs.writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify(settings, null, 2));

  try {
    await runTests({
      extensionDevelopmentPath: repo,
      extensionTestsPath: suite,
      vscodeExecutablePath,
      launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', path.join(work, 'extensions'),
        '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      extensionTestsEnv: {
        QED_TEST_LOG: mochaLog,
        QED_TEST_FIXTURES: fixtures,
        QED_TEST_REPO: repo,
        QED_TEST_MODE: 'dev',
        ...(process.env.QED_HOST_SUITES ? { QED_HOST_SUITES: process.env.QED_HOST_SUITES } : {}),
      },
    });
    return 0;
  } catch (e) {
    console.error(`test:electron: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    if (fs.existsSync(mochaLog)) console.log(fs.readFileSync(mochaLog, 'utf8'));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`test:electron: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
