// A run started from a terminal beside the open studio (`crystalline train --data-dir <its folder>`)
// is a studio run: it appears in the run list without a reload, its run view shows each step the
// terminal prints within two seconds, and the studio's Pause button pauses the terminal process.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const stepOf = async (page: Page): Promise<number> => {
  const text = await page.locator('.progress-head b').innerText();
  return Number(text.replace(/[^0-9]/g, ''));
};

interface TerminalLine {
  at: number;
  line: Record<string, unknown>;
}

function startTerminalRun(dataDir: string): { child: ChildProcess; lines: TerminalLine[] } {
  const child = spawn(
    process.execPath,
    [
      'bin/crystalline.js',
      'train',
      '--sample',
      '--data-dir',
      dataDir,
      '--layers',
      '1',
      '--embd',
      '32',
      '--heads',
      '2',
      '--ctx',
      '16',
      '--batch',
      '4',
      '--threads',
      '1',
      '--steps',
      '1000000',
      '--log-every',
      '25',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: TerminalLine[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) =>
    lines.push({ at: Date.now(), line: JSON.parse(text) as Record<string, unknown> }),
  );
  return { child, lines };
}

test('a terminal run beside the open studio shows its steps within two seconds, and Pause pauses it', async ({
  page,
  api,
  studio,
}) => {
  test.setTimeout(150_000); // a second training process beside the studio, on a shared machine
  await studio.open();
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();
  const known = new Set((await api('runs.list', {})).map((r) => r.id));
  const terminal = startTerminalRun(studio.dataDir);
  try {
    // It appears in the open list by itself, marked as a terminal run, and opens live.
    let runId = 0;
    await expect
      .poll(async () => (runId = (await api('runs.list', {})).find((r) => !known.has(r.id))?.id ?? 0))
      .toBeGreaterThan(0);
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await expect(row).toContainText('terminal');
    await row.click();
    await expect(page.locator('.badge')).toHaveText('running');

    // When the view first showed each step the terminal printed (a step it skipped over counts
    // as shown when a later one was): recorded in the page as the text changes, without polling.
    await page.locator('.progress-head b').evaluate((el) => {
      // The specs compile without the DOM's types; the page has them.
      type Observer = new (callback: () => void) => { observe(target: unknown, options: object): void };
      const page = globalThis as unknown as { MutationObserver: Observer; seenSteps: [number, number][] };
      const seen: [number, number][] = (page.seenSteps = []);
      new page.MutationObserver(() =>
        seen.push([Date.now(), Number(el.textContent?.replace(/[^0-9]/g, ''))]),
      ).observe(el, { characterData: true, childList: true, subtree: true });
    });
    const from = Date.now();
    await page.waitForTimeout(5000);
    const seen = await page.evaluate(
      () => (globalThis as unknown as { seenSteps: [number, number][] }).seenSteps,
    );
    const delays = terminal.lines
      .filter((l) => l.line.type === 'step' && l.at >= from && l.at <= from + 3000)
      .map((l) => {
        const shown = seen.find(([, step]) => step >= (l.line.step as number));
        return shown === undefined ? Number.POSITIVE_INFINITY : shown[0] - l.at;
      });
    console.info(
      `terminal step → studio view: ${delays.length} steps printed, median ` +
        `${[...delays].sort((a, b) => a - b)[delays.length >> 1]} ms, max ${Math.max(...delays)} ms`,
    );
    expect(delays.length).toBeGreaterThan(3);
    expect(Math.max(...delays)).toBeLessThan(2000);

    // Pause from the studio: the terminal process pauses between steps and says so.
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.locator('.badge')).toHaveText('paused');
    await expect
      .poll(() => terminal.lines.some((l) => l.line.type === 'state' && l.line.state === 'paused'))
      .toBe(true);
    const pausedAt = await stepOf(page);
    const printed = terminal.lines.length;
    await page.waitForTimeout(1500);
    expect(await stepOf(page)).toBe(pausedAt);
    expect(terminal.lines.slice(printed).filter((l) => l.line.type === 'step')).toEqual([]);

    // Stop from the studio: the terminal run ends with its checkpoint, and the view says stopped.
    const exited = new Promise<number | null>((resolve) => terminal.child.on('exit', resolve));
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(page.locator('.badge')).toHaveText('stopped');
    expect(await exited).toBe(0);
  } finally {
    if (terminal.child.exitCode === null) terminal.child.kill('SIGKILL');
  }
});
