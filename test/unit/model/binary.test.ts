// The two ways llama.cpp's runtime can be missing from an installation, through the real worker bundle:
// node-llama-cpp itself absent (its bundle, dist/node-llama-cpp.mjs, and its files in node_modules), and
// node-llama-cpp present without a prebuilt binary for this platform.
// Each must be the 'binaryMissing' error with its message, never a crash of the editor.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelError } from '../../../src/model/errors';
import { assertWorkerBuilt, loadRequest, makeClient, rejectionOf, WORKER_FILES, WORKER_PATH } from './helpers';
import { writeScriptedModel } from '../../fixtures/gguf';

const REPO_MODULES = path.resolve(path.dirname(WORKER_PATH), '..', 'node_modules');

describe('model/worker: llama.cpp runtime missing', function () {
  this.timeout(60_000);
  let dir: string;
  let model: string;

  before(() => {
    assertWorkerBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-nano-binary-'));
    model = path.join(dir, 'scripted.gguf');
    writeScriptedModel(model, { thinking: ['Think.'], answer: ['Proof.'] });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An installation: the worker's `files` in dist/ beside a node_modules holding `entries` (links into the real one). */
  function installation(name: string, files: string[], entries: (e: string) => boolean): string {
    const root = path.join(dir, name);
    fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(path.dirname(WORKER_PATH), f), path.join(root, 'dist', f));
    fs.mkdirSync(path.join(root, 'node_modules'));
    for (const e of fs.readdirSync(REPO_MODULES)) {
      if (e.startsWith('.') || !entries(e)) continue;
      fs.symlinkSync(path.join(REPO_MODULES, e), path.join(root, 'node_modules', e));
    }
    return path.join(root, 'dist', 'worker.mjs');
  }

  async function loadError(workerPath: string): Promise<ModelError> {
    // --preserve-symlinks: resolve packages from the links' location, as if they were installed there.
    const { client } = makeClient({ workerPath, env: { ...process.env, NODE_OPTIONS: '--preserve-symlinks --preserve-symlinks-main' } });
    try {
      const err = await rejectionOf(client.ensureLoaded(loadRequest(model)));
      assert.ok(err instanceof ModelError, String(err));
      return err;
    } finally {
      await client.dispose();
    }
  }

  it('node-llama-cpp not installed -> binaryMissing', async () => {
    const err = await loadError(installation('no-node-llama-cpp', ['worker.mjs'], () => false));
    assert.equal(err.code, 'binaryMissing');
    assert.match(err.message, /llama\.cpp runtime for this platform is missing/);
    assert.match(err.detail ?? '', /node-llama-cpp/);
  });

  it('node-llama-cpp without a prebuilt binary for this platform -> binaryMissing', async () => {
    const err = await loadError(installation('no-prebuilt', WORKER_FILES, e => e !== '@node-llama-cpp'));
    assert.equal(err.code, 'binaryMissing');
    assert.match(err.message, /llama\.cpp runtime for this platform is missing/);
    // node-llama-cpp itself loaded: what failed is finding a binary (not the import).
    assert.doesNotMatch(err.detail ?? '', /import\('node-llama-cpp'\) failed/);
    assert.match(err.detail ?? '', /NoBinaryFound|binary/i);
  });
});
