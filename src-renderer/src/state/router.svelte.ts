// Hash routes (#/runs/12), so a reload or a bookmark opens the same view in the app and in the browser.

export type Route =
  | { name: 'runs' }
  | { name: 'new-run'; from: number | null } // from: the run whose config to start from
  | { name: 'run'; id: number }
  | { name: 'compare'; ids: number[] }
  | { name: 'playground' }
  | { name: 'datasets' }
  | { name: 'settings' };

const positive = (text: string | undefined): number | null => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
};

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter((p) => p !== '');
  const params = new URLSearchParams(query);
  switch (parts[0]) {
    case 'runs': {
      if (parts[1] === 'new') return { name: 'new-run', from: positive(params.get('from') ?? undefined) };
      const id = positive(parts[1]);
      return id === null ? { name: 'runs' } : { name: 'run', id };
    }
    case 'compare': {
      const ids = (params.get('runs') ?? '')
        .split(',')
        .map((s) => positive(s))
        .filter((n): n is number => n !== null);
      return { name: 'compare', ids: [...new Set(ids)] };
    }
    case 'playground':
    case 'datasets':
    case 'settings':
      return { name: parts[0] };
    default:
      return { name: 'runs' };
  }
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case 'runs':
      return '#/runs';
    case 'new-run':
      return route.from === null ? '#/runs/new' : `#/runs/new?from=${route.from}`;
    case 'run':
      return `#/runs/${route.id}`;
    case 'compare':
      return route.ids.length === 0 ? '#/compare' : `#/compare?runs=${route.ids.join(',')}`;
    case 'playground':
    case 'datasets':
    case 'settings':
      return `#/${route.name}`;
  }
}

class Router {
  route = $state<Route>({ name: 'runs' });

  start(win: Window): void {
    this.route = parseRoute(win.location.hash);
    win.addEventListener('hashchange', () => {
      this.route = parseRoute(win.location.hash);
    });
  }

  go(route: Route): void {
    const hash = routeHash(route);
    if (typeof location !== 'undefined' && location.hash !== hash) location.hash = hash;
    this.route = route;
  }
}

export const router = new Router();
