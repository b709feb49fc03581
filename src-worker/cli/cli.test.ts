// The command line as a person uses it: bad flags exit 2 with a one-line message naming them;
// --json prints one object per line ending in a done line; checkpoints resume exactly in a fresh
// process; exports load back to the same logits.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../checkpoint/read';
import { EXPORTED_FILES } from '../checkpoint/test-support/hf-export';

const BIN = join(import.meta.dirname, '../../bin/crystalline.js');
const MICRO = ['--sample', '--layers', '1', '--embd', '32', '--heads', '2', '--ctx', '16', '--batch', '4'];

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `crystalline export` of a checkpoint to a Hugging Face folder. */
function exportTo(out: string, checkpoint: string, ...flags: string[]): ReturnType<typeof cli> {
  return cli('export', '--checkpoint', checkpoint, '--out', out, ...flags);
}

/** The same 12 seeded tokens after "The " from a checkpoint or an exported folder. */
function generateFrom(checkpoint: string): ReturnType<typeof cli> {
  return cli('generate', '--checkpoint', checkpoint, '--prompt', 'The ', '--max-tokens', '12', '--seed', '3');
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('crystalline CLI', () => {
  it.each([
    [['train', '--sample', '--lr', 'abc'], /--lr.*"abc"/],
    [['train', '--sample', '--steps', '0'], /--steps.*"0"/],
    [['train', '--sample', '--tokenizer', 'bpe:10'], /257 to 65536/],
    [['train', '--sample', '--preset', 'huge'], /--preset.*huge/],
    [['train', '--sample', '--wat'], /unknown option '--wat'/],
    [['train'], /--sample.*--data PATH/],
    [['train', '--sample', '--data', 'x.txt'], /cannot be used with/],
    [['train', '--sample', '--heads', '3'], /nHead \(3\) must divide nEmbd \(128\)/],
    [['train', '--data', '/no/such/file.txt'], /no\/such\/file\.txt/],
    [
      ['train', '--sample', '--ctx', '16', '--batch', '4', '--layers', '1', '--val-fraction', '0.0001'],
      /validation split has \d+ tokens/,
    ],
    [['generate', '--checkpoint', '/no/such.ckpt', '--prompt', 'x'], /no\/such\.ckpt/],
    [['logits', '--checkpoint', 'x.ckpt', '--tokens', '1,a'], /--tokens.*1,a/],
  ])('rejects %j with exit code 2 and one line naming the problem', (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('shows every default of `train --help` as it is typed on the command line', () => {
    const r = cli('train', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--tokenizer <kind>[\s\S]*?\(default: char\)/);
    expect(r.stdout).not.toContain('{');
  });

  it('ends a terminal run with one summary line whose best is its lowest validation loss', () => {
    const r = cli('train', ...MICRO, '--steps', '12', '--eval-every', '4', '--no-record');
    expect(r.status).toBe(0);
    const final = r.stderr.split('\n').find((l) => l.startsWith('Final:')) ?? '';
    const match = /validation loss (\d+\.\d+)(?: \(best (\d+\.\d+)\)| \(the run's best\))/.exec(final);
    expect(match, final).not.toBeNull();
    if (match?.[2] !== undefined) expect(Number(match[2])).toBeLessThan(Number(match[1]));
  });

  it('trains with --json: one object per line, the last {"done":true,…}', () => {
    const r = cli('train', ...MICRO, '--steps', '6', '--log-every', '2', '--eval-every', '3', '--json');
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l.type === 'step').map((l) => l.step)).toEqual([2, 4, 6]);
    expect(lines.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([3, 6]);
    const done = lines.at(-1) ?? {};
    expect(done).toMatchObject({ done: true, step: 6 });
    for (const key of ['train_loss', 'val_loss', 'tokens_per_s']) expect(typeof done[key]).toBe('number');
  });

  it.each(['1', '2'])(
    'resumes exactly in a fresh process on %s thread(s): 4 steps + resume to 8 = 8 steps straight',
    async (threads) => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-resume-'));
      const common = [...MICRO, '--eval-every', '4', '--log-every', '1', '--threads', threads, '--json'];
      const straight = cli(
        'train',
        ...common,
        '--steps',
        '8',
        '--out',
        join(dir, 'a'),
        '--checkpoint-every',
        '4',
      );
      expect(straight.status).toBe(0);
      const resumed = cli(
        'train',
        '--resume',
        join(dir, 'a', 'step-0000004.ckpt'),
        '--out',
        join(dir, 'b'),
        '--json',
      );
      expect(resumed.status).toBe(0);
      const loss = (out: string): unknown[] =>
        jsonLines(out)
          .filter((l) => l.type === 'step' && (l.step as number) > 4)
          .map((l) => l.loss);
      expect(loss(resumed.stdout)).toEqual(loss(straight.stdout));
      // Parameters and optimizer moments are bitwise identical, tensor by tensor.
      const [a, b] = await Promise.all([
        readCheckpoint(join(dir, 'a', 'step-0000008.ckpt')),
        readCheckpoint(join(dir, 'b', 'step-0000008.ckpt')),
      ]);
      expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
      for (const [name, t] of a.tensors) {
        const u = b.tensors.get(name)?.data ?? new Float32Array();
        expect(
          Buffer.from(u.buffer, u.byteOffset, u.byteLength).equals(
            Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          ),
          name,
        ).toBe(true);
      }
      expect(b.header.sampler).toEqual(a.header.sampler);
      const logitsA = cli('logits', '--checkpoint', join(dir, 'a', 'step-0000008.ckpt'), '--tokens', '1,2,3');
      const logitsB = cli('logits', '--checkpoint', join(dir, 'b', 'step-0000008.ckpt'), '--tokens', '1,2,3');
      expect(logitsA.status).toBe(0);
      expect(logitsB.stdout).toBe(logitsA.stdout);
      expect((JSON.parse(logitsA.stdout) as number[]).length).toBeGreaterThan(10);
    },
  );

  it('refuses --threads above 1 on the ts backend, naming both flags, before reading any text', () => {
    const r = cli('train', ...MICRO, '--backend', 'ts', '--threads', '2', '--no-record');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--threads 2 needs --backend wasm/);
  });

  it('refuses to resume with a changed model flag, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-resume-flag-'));
    expect(cli('train', ...MICRO, '--steps', '2', '--out', dir).status).toBe(0);
    const r = cli('train', '--resume', join(dir, 'step-0000002.ckpt'), '--lr', '0.1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--lr cannot be changed when resuming/);
  });

  it('reports a damaged checkpoint as damaged, with its path, and does not load it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-damaged-'));
    const bad = join(dir, 'bad.ckpt');
    writeFileSync(bad, 'not a checkpoint at all');
    const r = cli('generate', '--checkpoint', bad, '--prompt', 'x');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(bad);
  });

  it('exports a Hugging Face folder whose logits equal the checkpoint’s, and generates from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-export-'));
    expect(cli('train', ...MICRO, '--steps', '3', '--out', join(dir, 'run')).status).toBe(0);
    const ckpt = join(dir, 'run', 'step-0000003.ckpt');
    const exp = exportTo(join(dir, 'hf'), ckpt);
    expect(exp.status).toBe(0);
    expect(readdirSync(join(dir, 'hf')).sort()).toEqual(EXPORTED_FILES);
    const a = cli('logits', '--checkpoint', ckpt, '--tokens', '5,6,7,8');
    const b = cli('logits', '--checkpoint', join(dir, 'hf'), '--tokens', '5,6,7,8');
    expect(b.stdout).toBe(a.stdout);
    const gen = generateFrom(join(dir, 'hf'));
    expect(gen.status).toBe(0);
    expect(gen.stdout.startsWith('The ')).toBe(true);
    const again = generateFrom(ckpt);
    expect(again.stdout).toBe(gen.stdout);
  });

  it('fine-tunes from an exported folder: the first steps start from the trained weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-finetune-'));
    expect(cli('train', ...MICRO, '--steps', '40', '--lr', '3e-3', '--out', join(dir, 'run')).status).toBe(0);
    const exp = exportTo(join(dir, 'hf'), join(dir, 'run', 'step-0000040.ckpt'));
    expect(exp.status).toBe(0);
    const first = (out: string): number => jsonLines(out).find((l) => l.type === 'step')?.loss as number;
    const tuned = cli(
      'train',
      '--sample',
      '--init-from',
      join(dir, 'hf'),
      '--steps',
      '2',
      '--log-every',
      '1',
      '--json',
    );
    expect(tuned.status).toBe(0);
    const fresh = cli('train', ...MICRO, '--steps', '2', '--log-every', '1', '--json');
    expect(first(tuned.stdout)).toBeLessThan(first(fresh.stdout) - 0.3);
    const clash = cli('train', '--sample', '--init-from', join(dir, 'hf'), '--layers', '3');
    expect(clash.status).toBe(2);
    expect(clash.stderr).toMatch(/--layers cannot be combined with --init-from/);
  });

  it('a run that diverges halts with a verified checkpoint whose validation loss is recorded as unknown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-diverge-'));
    const run = cli(
      'train',
      ...MICRO,
      ...['--lr', '1e4', '--clip', '0', '--warmup', '0', '--eval-every', '5', '--checkpoint-every', '5'],
      ...['--steps', '60', '--out', dir, '--no-record', '--json'],
    );
    expect(run.status).toBe(0);
    const done = jsonLines(run.stdout).at(-1) ?? {};
    expect(done.reason).toBe('halted');
    const saved = await readCheckpoint(done.checkpoint as string);
    expect(saved.header.metrics?.valLoss ?? null).toBeNull();
  });

  it('keeps runs apart: a new run refuses a folder holding another run; a resume from an earlier step cuts the later ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-folder-'));
    const base = [...MICRO, '--eval-every', '0', '--no-record'];
    expect(cli('train', ...base, '--steps', '12', '--checkpoint-every', '4', '--out', dir).status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ckpt'))).toEqual([
      'step-0000004.ckpt',
      'step-0000008.ckpt',
      'step-0000012.ckpt',
    ]);
    const other = cli('train', ...base, '--steps', '4', '--out', dir);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/already holds checkpoints of another run/);

    const resumed = cli(
      'train',
      ...['--resume', join(dir, 'step-0000004.ckpt'), '--steps', '6', '--keep-last', '1', '--out', dir],
      ...['--no-record', '--json'],
    );
    expect(resumed.status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ckpt'))).toEqual(['step-0000006.ckpt']);
    expect((jsonLines(resumed.stdout).at(-1) ?? {}).checkpoint).toBe(join(dir, 'step-0000006.ckpt'));

    const tooFew = cli('train', '--resume', join(dir, 'step-0000006.ckpt'), '--steps', '6', '--no-record');
    expect(tooFew.status).toBe(2);
    expect(tooFew.stderr).toMatch(/at step 6 already: pass --steps larger than 6/);
  });

  it('export --overwrite replaces an earlier export but never another folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-overwrite-'));
    expect(cli('train', ...MICRO, '--steps', '2', '--out', join(dir, 'run'), '--no-record').status).toBe(0);
    const ckpt = join(dir, 'run', 'step-0000002.ckpt');
    expect(exportTo(join(dir, 'hf'), ckpt).status).toBe(0);
    expect(exportTo(join(dir, 'hf'), ckpt, '--overwrite').status).toBe(0);
    const refused = exportTo(join(dir, 'run'), ckpt, '--overwrite');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/replaces only an earlier export/);
    expect(readdirSync(join(dir, 'run'))).toContain('step-0000002.ckpt');
  });

  it('a pinned checkpoint survives retention, and an unpinned one is pruned again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-pin-'));
    const base = [
      ...MICRO,
      '--eval-every',
      '0',
      '--no-record',
      '--keep-last',
      '1',
      '--checkpoint-every',
      '2',
    ];
    expect(cli('train', ...base, '--steps', '4', '--out', dir).status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ckpt'))).toEqual(['step-0000004.ckpt']);
    const pin = cli('pin', '--checkpoint', join(dir, 'step-0000004.ckpt'));
    expect(pin.status).toBe(0);
    expect(pin.stdout).toMatch(/Pinned .*step 4/);
    const resume = [
      '--resume',
      join(dir, 'step-0000004.ckpt'),
      '--out',
      dir,
      '--no-record',
      '--keep-last',
      '1',
    ];
    expect(cli('train', ...resume, '--steps', '8', '--checkpoint-every', '2').status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ckpt'))).toEqual([
      'step-0000004.ckpt',
      'step-0000008.ckpt',
    ]);

    expect(cli('pin', '--checkpoint', join(dir, 'step-0000004.ckpt'), '--unpin').status).toBe(0);
    const more = [
      '--resume',
      join(dir, 'step-0000008.ckpt'),
      '--out',
      dir,
      '--no-record',
      '--keep-last',
      '1',
    ];
    expect(cli('train', ...more, '--steps', '10', '--checkpoint-every', '2').status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ckpt'))).toEqual(['step-0000010.ckpt']);

    const bad = cli('pin', '--checkpoint', join(dir, 'pins.json'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('pins.json');
  });

  it('--threads 2 trains data-parallel: repeatable bitwise, the losses of one thread to rounding; exits', () => {
    const losses = (threads: string): unknown[] => {
      const r = cli(
        'train',
        ...MICRO,
        '--steps',
        '4',
        '--log-every',
        '1',
        '--threads',
        threads,
        '--no-record',
        '--json',
      );
      expect(r.status).toBe(0);
      return jsonLines(r.stdout).flatMap((l) => (l.type === 'step' ? [l.loss] : []));
    };
    const one = losses('1') as number[];
    expect(one).toHaveLength(4);
    const two = losses('2') as number[];
    expect(losses('2')).toEqual(two);
    two.forEach((loss, i) => expect(loss).toBeCloseTo(one[i], 4));
  });
});
