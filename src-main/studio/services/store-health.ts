// The database's health as the open service sees it: sound (a damaged database is answered by
// RecoverableStudio, which wraps this service and takes over these two methods).

import { StudioError } from '../../api';
import type { StudioContext } from './context';
import type { HandlersOf } from './context';

export function storeHealthHandlers(ctx: StudioContext): HandlersOf<'store'> {
  return {
    'store.status': async () => ({ damage: null }),
    'store.recover': async () => {
      throw new StudioError(
        'conflict',
        `The database ${ctx.layout.database} is sound; there is nothing to recover.`,
      );
    },
  };
}
