// Benchmark (not a test): the main process's event-loop delay while two runs train in workers,
// logging every step, with a subscriber receiving every update. Prints p50, p99 and max delay and
// the steps each run took. Usage (bundled): node event-loop-bench.js SECONDS [tiny|micro]
// (micro: a 1-layer, 16-wide model whose hundreds of steps a second stress the recording side).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DatasetInfo, RunConfig, RunSummary } from '../../api';
import { generateSampleCorpus } from '../../../src-worker/data/sample-corpus';
import { Studio } from '../studio';

const seconds = Number(process.argv[2] ?? 20);
const micro = process.argv[3] === 'micro';
const dir = mkdtempSync(join(tmpdir(), 'crystalline-bench-'));
const studio = await Studio.open({
  dataDir: join(dir, 'data'),
  workerScript: resolve('out/engine/worker.js'),
});
try {
  await studio.call('settings.update', { maxConcurrentRuns: 2 });
  const corpus = join(dir, 'sample.txt');
  writeFileSync(corpus, generateSampleCorpus(1));
  const dataset = (await studio.call('datasets.import', {
    path: corpus,
    tokenizer: { kind: 'char' },
  })) as DatasetInfo;
  const base = (await studio.call('runs.defaults', { datasetId: dataset.id, preset: 'tiny' })) as RunConfig;
  const config: RunConfig = {
    ...base,
    model: micro ? { nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 16 } : base.model,
    train: {
      ...base.train,
      ...(micro ? { batchSize: 4, seqLen: 16 } : {}),
      steps: 1_000_000,
      logEvery: 1,
      evalEvery: 200,
      histogramEvery: 50,
    },
    backend: 'wasm',
  };
  config.train.schedule = { ...config.train.schedule, totalSteps: 1_000_000 };
  let updates = 0;
  studio.subscribe((e) => {
    if (e.type === 'run-update') updates++;
  });
  const runs: RunSummary[] = [];
  for (const name of ['bench a', 'bench b']) {
    const run = (await studio.call('runs.create', { config: { ...config, name } })) as RunSummary;
    await studio.call('runs.start', { id: run.id });
    runs.push(run);
  }
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  delay.disable();
  const steps = await Promise.all(
    runs.map(async (r) => ((await studio.call('runs.get', { id: r.id })) as RunSummary).step),
  );
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  console.log(
    `${seconds} s, two runs of the ${micro ? 'micro model' : 'tiny preset'} (wasm, logging every step): ` +
      `event-loop delay ` +
      `p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; ` +
      `steps ${steps.join(' and ')}; ${(updates / seconds).toFixed(1)} run updates/s to subscribers`,
  );
  for (const r of runs) await studio.call('runs.stop', { id: r.id });
} finally {
  await studio.close();
  rmSync(dir, { recursive: true, force: true });
}
