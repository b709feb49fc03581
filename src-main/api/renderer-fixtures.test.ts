// The renderer's tests take the API's answers from JSON files (the renderer imports no values from
// the main side); these check that each file still says what the service answers.

import { describe, expect, it } from 'vitest';
import RENDERER_EMPTY_UPDATE from '../../src-renderer/src/state/empty-update.json';
import { emptyUpdate } from '../studio/monitoring';

describe('the renderer’s fixtures', () => {
  it('an empty run update is the one the service starts from', () => {
    expect(RENDERER_EMPTY_UPDATE).toEqual(emptyUpdate());
  });
});
