// Every view at 900 px and 1400 px wide, in the dark and the light theme: no page scrolls sideways,
// and a screenshot of each lands in test-results/screenshots for a person to look at.

import { expect, test } from './fixtures';
import type { Page } from '@playwright/test';
import { snap, trainedRun } from './studio';

const WIDTHS = [900, 1400] as const;
const THEMES = ['dark', 'light'] as const;

// The page's code is given as text: the specs are type-checked without the DOM's types.

/** How far the page reaches past the window's right edge, in CSS pixels (0: no sideways scroll). */
const overflow = (page: Page): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** The innermost elements that reach past the window's right edge, to name in a failure. */
const widest = (page: Page): Promise<string[]> =>
  page.evaluate<string[]>(`(() => {
    const edge = document.documentElement.clientWidth;
    const past = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > edge + 1);
    return past
      .filter((e) => !past.some((other) => other !== e && e.contains(other)))
      .slice(0, 5)
      .map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' → ' + Math.round(e.getBoundingClientRect().right) + ' px');
  })()`);

test('every view fits 900 px and 1400 px in both themes', async ({ page, api, studio }) => {
  test.setTimeout(240_000);
  const a = await trainedRun(api, 'screens · lr 1e-3', 100);
  const b = await trainedRun(api, 'screens · lr 3e-3', 100, {
    schedule: { kind: 'cosine', lr: 3e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 100 },
  });
  const views: { name: string; route: string; ready: (p: Page) => Promise<void> }[] = [
    { name: 'runs', route: '#/runs', ready: (p) => expect(p.locator('[data-run-id]').first()).toBeVisible() },
    {
      name: 'run',
      route: `#/runs/${a}`,
      ready: async (p) => {
        const loss = p.getByRole('img', { name: /^Loss chart/ });
        await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(10);
        await p.waitForTimeout(400); // the charts' redraw interval
      },
    },
    {
      name: 'compare',
      route: `#/compare?runs=${a},${b}`,
      ready: async (p) => {
        await expect(p.getByRole('img', { name: /^Train loss chart/ })).toBeVisible();
        await p.waitForTimeout(400);
      },
    },
    { name: 'new-run', route: '#/runs/new', ready: (p) => expect(p.locator('#name')).not.toHaveValue('') },
    {
      name: 'playground',
      route: '#/playground',
      ready: (p) => expect(p.getByLabel('Model 1')).toBeVisible(),
    },
    {
      name: 'datasets',
      route: '#/datasets',
      ready: (p) => expect(p.locator('[data-dataset="Sample corpus"]')).toBeVisible(),
    },
    { name: 'settings', route: '#/settings', ready: (p) => expect(p.getByText(/cores ·/)).toBeVisible() },
  ];
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const view of views) {
        await studio.open(view.route);
        await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
        await view.ready(page);
        expect
          .soft(
            await overflow(page),
            `${view.name} at ${width} px scrolls sideways: ${(await widest(page)).join(', ')}`,
          )
          .toBeLessThanOrEqual(0);
        await snap(page, `screen-${view.name}-${width}-${theme}`);
      }
    }
  }
});
