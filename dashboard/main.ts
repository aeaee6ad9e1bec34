// The dashboard: asks for the API token once (kept for this tab in sessionStorage), then draws
// one namespace from its event stream, live, and sends the operator's commands through the API.
import { PnlChart, type PnlPoint } from './chart';
import { byId, fill, h } from './dom';
import { readEventStream, Unauthorized } from './sse';
import * as views from './views';

const TOKEN_KEY = 'alpha-panda.api-token';
const NAMESPACES = ['paper', 'zerodha'] as const;
type Namespace = (typeof NAMESPACES)[number];
const RECENT = 50;

interface State {
  status?: views.Status;
  services?: views.Service[];
  portfolio?: views.Portfolio;
  orders: Map<string, views.Order>;
  fills: Map<string, views.Fill>;
  pipeline?: views.Report | null;
  strategies?: views.Strategy[];
  killSwitch?: views.KillSwitch;
  problems: Record<string, string>;
}

const newState = (): State => ({ orders: new Map(), fills: new Map(), problems: {} });

let token: string | null = sessionStorage.getItem(TOKEN_KEY);
let namespace: Namespace = NAMESPACES.find((ns) => `#${ns}` === location.hash) ?? 'paper';
let state = newState();
let chart: PnlChart | undefined;
let connection: AbortController | undefined;

class ApiFailure extends Error {}

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: unknown = await response.json().catch(() => null);
  if (response.status === 401) askForToken('The API token was refused.');
  if (!response.ok) throw new ApiFailure((json as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${response.status}`);
  return json;
}

function notice(message: string, kind: 'error' | 'ok' = 'error'): void {
  const box = byId('notice');
  fill(box, h('span', {}, message), h('button', { type: 'button', class: 'link', onclick: () => fill(box) }, 'dismiss'));
  box.className = `notice notice-${kind}`;
}

const act = (work: () => Promise<unknown>, done?: string) => () => {
  work().then(
    () => done && notice(done, 'ok'),
    (error: unknown) => notice((error as Error).message),
  );
};

const base = () => `/api/v1/namespaces/${namespace}`;

function render(kind: string): void {
  switch (kind) {
    case 'status':
      fill(byId('startup'), views.startupView(state.status, (requestToken) => void submitRequestToken(requestToken)));
      break;
    case 'services':
      fill(byId('services'), views.servicesView(state.services));
      break;
    case 'portfolio':
      fill(byId('figures'), views.figuresView(state.portfolio?.totals));
      fill(byId('positions'), views.positionsView(state.portfolio));
      render('fills');
      break;
    case 'orders':
      fill(byId('orders'), views.ordersView(newest(state.orders, (order) => order.updatedAt)));
      break;
    case 'fills':
      fill(byId('fills'), views.fillsView(newest(state.fills, (item) => item.filledAt), state.portfolio?.symbols ?? {}));
      break;
    case 'pipeline':
      fill(byId('pipeline'), views.pipelineView(state.pipeline));
      break;
    case 'strategies':
      fill(byId('strategies'), views.strategiesView(state.strategies, toggleStrategy));
      break;
    case 'kill-switch':
      fill(
        byId('kill-switch'),
        views.killSwitchView(
          state.killSwitch,
          (reason) => act(() => api('PUT', `${base()}/kill-switch`, reason ? { reason } : {}), 'Kill switch set.')(),
          act(() => api('DELETE', `${base()}/kill-switch`), 'Kill switch cleared.'),
        ),
      );
      break;
    case 'problems': {
      const entries = Object.entries(state.problems);
      fill(byId('problems'), entries.length > 0 ? h('p', { class: 'notice notice-error' }, entries.map(([source, message]) => `${source}: ${message}`).join(' · ')) : null);
      break;
    }
  }
}

function newest<T>(items: Map<string, T>, at: (item: T) => string): T[] {
  return [...items.values()].sort((a, b) => Date.parse(at(b)) - Date.parse(at(a))).slice(0, RECENT);
}

function keepRecent<T>(items: Map<string, T>, at: (item: T) => string): void {
  if (items.size <= RECENT * 2) return;
  const keep = [...items.entries()].sort(([, a], [, b]) => Date.parse(at(b)) - Date.parse(at(a))).slice(0, RECENT);
  items.clear();
  for (const [id, item] of keep) items.set(id, item);
}

function apply(event: string, data: unknown): void {
  switch (event) {
    case 'status':
      state.status = data as views.Status;
      break;
    case 'services':
      state.services = data as views.Service[];
      break;
    case 'portfolio':
      state.portfolio = data as views.Portfolio;
      break;
    case 'pnl':
      chart?.add((data as { points: PnlPoint[] }).points);
      byId('chart-count').textContent = String(chart?.size ?? 0);
      return;
    case 'orders':
      for (const order of (data as { items: views.Order[] }).items) state.orders.set(order.orderId, order);
      keepRecent(state.orders, (order) => order.updatedAt);
      break;
    case 'fills':
      for (const item of (data as { items: views.Fill[] }).items) state.fills.set(item.fillId, item);
      keepRecent(state.fills, (item) => item.filledAt);
      break;
    case 'pipeline':
      state.pipeline = data as views.Report | null;
      break;
    case 'strategies':
      state.strategies = data as views.Strategy[];
      break;
    case 'kill-switch':
      state.killSwitch = data as views.KillSwitch;
      break;
    case 'problems':
      state.problems = data as Record<string, string>;
      break;
    default:
      return;
  }
  render(event);
}

function setConnection(text: string, kind: 'live' | 'down' | 'wait'): void {
  const element = byId('connection');
  element.textContent = text;
  element.className = `connection connection-${kind}`;
}

/** Streams the namespace, reconnecting with backoff, until another namespace or token is chosen. */
function connect(): void {
  connection?.abort();
  const controller = new AbortController();
  connection = controller;
  let delay = 1000;
  const loop = async () => {
    while (!controller.signal.aborted) {
      setConnection('connecting…', 'wait');
      try {
        await readEventStream(`${base()}/events`, token, (message) => {
          if (byId('connection').textContent !== 'live') setConnection('live', 'live');
          delay = 1000;
          apply(message.event, JSON.parse(message.data));
        }, controller.signal);
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof Unauthorized) {
          askForToken(token ? 'The API token was refused.' : undefined);
          return;
        }
      }
      if (controller.signal.aborted) return;
      setConnection(`reconnecting in ${delay / 1000} s`, 'down');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void loop();
}

function show(next: Namespace): void {
  namespace = next;
  state = newState();
  for (const tab of document.querySelectorAll<HTMLElement>('[data-namespace]')) tab.classList.toggle('active', tab.dataset.namespace === next);
  for (const kind of ['status', 'services', 'portfolio', 'orders', 'fills', 'pipeline', 'strategies', 'kill-switch', 'problems']) render(kind);
  chart?.remove();
  chart = new PnlChart(byId('chart'));
  byId('chart-count').textContent = '0';
  connect();
}

async function submitRequestToken(requestToken: string): Promise<void> {
  const result = byId('auth-result');
  result.textContent = 'Submitting…';
  try {
    const answer = (await api('POST', '/api/v1/auth/request-token', { request_token: requestToken })) as { results: { namespace: string; message: string }[] };
    result.textContent = answer.results.map((entry) => `${entry.namespace}: ${entry.message}`).join(' · ') || 'Accepted.';
  } catch (error) {
    result.textContent = (error as Error).message;
  }
}

function toggleStrategy(strategy: views.Strategy): void {
  const action = strategy.isActive ? 'deactivate' : 'activate';
  act(async () => {
    const updated = (await api('POST', `${base()}/strategies/${encodeURIComponent(strategy.id)}/${action}`)) as { isActive: boolean };
    // Shown at once; the stream confirms it on its next read of the strategies.
    state.strategies = state.strategies?.map((s) => (s.id === strategy.id ? { ...s, isActive: updated.isActive } : s));
    render('strategies');
  }, `${strategy.id} ${action}d.`)();
}

function askForToken(message?: string): void {
  connection?.abort();
  setConnection('needs the API token', 'down');
  const dialog = byId<HTMLDialogElement>('token-dialog');
  byId('token-message').textContent = message ?? '';
  if (!dialog.open) dialog.showModal();
  byId<HTMLInputElement>('token-input').focus();
}

function start(): void {
  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('token-input');
    token = input.value.trim() || null;
    input.value = '';
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    byId<HTMLDialogElement>('token-dialog').close();
    connect();
  });
  byId('forget-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    askForToken('Token forgotten for this tab.');
  });
  for (const tab of document.querySelectorAll<HTMLElement>('[data-namespace]')) {
    tab.addEventListener('click', () => {
      location.hash = tab.dataset.namespace!;
    });
  }
  window.addEventListener('hashchange', () => {
    const next = NAMESPACES.find((ns) => `#${ns}` === location.hash);
    if (next && next !== namespace) show(next);
  });
  show(namespace);
}

start();
