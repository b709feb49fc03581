// A parent process for the launcher's "killed studio" test: starts the fake program's ranks, prints
// their process ids as one JSON line, and trains until the test kills it with SIGKILL.

import { TorchRanks } from '../ranks';

const [python, program, jobPath, processes] = process.argv.slice(2);
const ranks = await TorchRanks.start({
  python,
  program,
  jobPath,
  processes: Number(processes),
  nnodes: 1,
  nodeRank: 0,
  master: null,
  threadsPerRank: 1,
  onEvent: (event) => {
    if (event.type === 'started') process.stdout.write(JSON.stringify({ pids: ranks.pids }) + '\n');
  },
  onExit: () => undefined,
});
