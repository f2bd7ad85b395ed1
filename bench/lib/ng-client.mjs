// The node's own ng client (src/media/ng-client.ts) for the benches, which plain node runs without a
// TypeScript loader: bundled by esbuild into the bench's work directory and imported from there,
// so the bench drives rtpengine exactly as the node does.
import { build } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** @returns {Promise<{ NgClient: any, offerParams: Function, answerParams: Function, deleteParams: Function }>} */
export async function loadNgClient(root, workDir) {
  const outfile = join(workDir, 'ng-client.mjs');
  await build({
    stdin: {
      contents: "export { NgClient } from './src/media/ng-client.ts'; export { offerParams, answerParams, deleteParams } from './src/media/relay-params.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
