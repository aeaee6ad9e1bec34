// Each card of the page, drawn from the latest event of its kind. Money from integer paise, times
// in IST (./format).
import { badge, h, table } from './dom';
import { count, duration, istDateTime, istTime, rupees, signedRupees, tone } from './format';

export interface Check { name: string; outcome: string; detail: string }
export interface Status {
  phase: string | null;
  execution: string | null;
  checks: Check[];
  loginUrl: string | null;
  authError: string | null;
  authDeadline: string | null;
  failure: string | null;
}
export interface Service { service: string; state: string; restarts: number; lastError: string | null; runningSince: string | null }
export interface Position { instrumentToken: number; quantity: number; averagePrice: number; lastPrice: number; realizedPnl: number; unrealizedPnl: number }
export interface Book { strategyId: string; cash: number; realizedPnl: number; unrealizedPnl: number; chargesPaid: number; positions: Position[]; asOf: string }
export interface Totals { strategies: number; openPositions: number; cash: number; marketValue: number; value: number; realizedPnl: number; unrealizedPnl: number; chargesPaid: number; netPnl: number; asOf: string | null }
export interface Portfolio { totals: Totals; strategies: Book[]; symbols: Record<string, string> }
export interface Order {
  orderId: string; strategyId: string; tradingsymbol: string; side: string; product: string; orderType: string; quantity: number;
  limitPrice: number | null; status: string; filledQuantity: number; averagePrice: number | null; failureReason: string | null; submittedAt: string; updatedAt: string;
}
export interface Fill { fillId: string; orderId: string; strategyId: string; instrumentToken: number; side: string; quantity: number; price: number; chargesPaid: number; filledAt: string }
export interface Stage { stage: string; status: string; reasons: string[]; lag: number | null; inputAgeMs: number; stalledForMs: number }
export interface Topic { topic: string; messages: number; perSecond: number; ageMs: number }
export interface Report { at: string; state: string; reasons: string[]; market: { open: boolean }; stages: Stage[]; topics: Topic[]; errors: { deadLetters: number } }
export interface Strategy { id: string; name: string; strategyType: string; symbols: string[]; parameters: Record<string, unknown>; isActive: boolean }
export interface KillSwitch { active: boolean; reason: string | null; setAt: string | null }

const PHASE_KIND: Record<string, string> = { running: 'good', failed: 'bad', stopped: 'muted', 'awaiting-auth': 'warn' };
const OUTCOME_KIND: Record<string, string> = { passed: 'good', warning: 'warn', failed: 'bad', skipped: 'muted', pending: 'muted' };
const STATE_KIND: Record<string, string> = { running: 'good', healthy: 'good', idle: 'muted', starting: 'warn', restarting: 'warn', warning: 'warn', stopping: 'muted', stopped: 'muted', failed: 'bad', degraded: 'bad', critical: 'bad' };
const STATUS_KIND: Record<string, string> = { COMPLETE: 'good', OPEN: 'warn', REJECTED: 'bad', CANCELLED: 'muted' };

const money = (paise: number) => h('span', { class: `money ${tone(paise)}` }, signedRupees(paise));
const side = (value: string) => h('span', { class: `side side-${value.toLowerCase()}` }, value);

export function startupView(status: Status | undefined, onRequestToken: (token: string) => void): HTMLElement[] {
  if (!status) return [h('p', { class: 'empty' }, 'Waiting for the first status…')];
  if (status.phase === null) return [h('p', {}, badge('not started', 'muted'), ' Start it with ', h('code', {}, 'alpha-panda run'), ' or POST …/start.')];
  const parts: HTMLElement[] = [
    h('p', { class: 'phase-line' }, badge(status.phase, PHASE_KIND[status.phase] ?? 'info'), h('span', { class: 'muted', id: 'execution' }, status.execution ?? '')),
    h(
      'ul',
      { class: 'checks' },
      status.checks.map((check) => h('li', {}, badge(check.outcome, OUTCOME_KIND[check.outcome] ?? 'info'), h('strong', {}, check.name), h('span', { class: 'muted' }, check.detail))),
    ),
  ];
  if (status.failure) parts.push(h('p', { class: 'error' }, status.failure));
  if (status.phase === 'awaiting-auth') {
    const input = h('input', { type: 'text', name: 'request_token', placeholder: 'request_token from the redirect URL', autocomplete: 'off', required: true, id: 'request-token' }) as HTMLInputElement;
    parts.push(
      h(
        'form',
        {
          class: 'auth',
          onsubmit: (event: Event) => {
            event.preventDefault();
            onRequestToken(input.value.trim());
          },
        },
        h('p', {}, 'Waiting for the Zerodha login', status.authDeadline ? ` until ${istDateTime(status.authDeadline)}` : '', '.'),
        status.loginUrl ? h('p', {}, h('a', { href: status.loginUrl, target: '_blank', rel: 'noopener noreferrer', class: 'button' }, 'Log in to Zerodha')) : null,
        status.authError ? h('p', { class: 'error' }, status.authError) : null,
        h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Submit request_token')),
        h('p', { class: 'muted', id: 'auth-result' }),
      ),
    );
  }
  return parts;
}

export function servicesView(services: Service[] | undefined): HTMLElement {
  return table(
    ['Service', 'State', 'Restarts', 'Running since', 'Last error'],
    (services ?? []).map((service) =>
      h('tr', { 'data-service': service.service }, h('td', {}, service.service), h('td', {}, badge(service.state, STATE_KIND[service.state] ?? 'info')), h('td', { class: 'num' }, service.restarts), h('td', {}, istTime(service.runningSince)), h('td', { class: 'muted clip' }, service.lastError ?? '')),
    ),
    'No supervised services yet.',
  );
}

export function figuresView(totals: Totals | undefined): HTMLElement {
  const figure = (label: string, value: HTMLElement | string, id: string) => h('div', { class: 'figure' }, h('span', { class: 'label' }, label), h('span', { class: 'value', id }, value));
  if (!totals) return h('p', { class: 'empty' }, 'No portfolio yet.');
  return h(
    'div',
    { class: 'figures' },
    figure('Portfolio value', rupees(totals.value), 'portfolio-value'),
    figure('Net P&L', money(totals.netPnl), 'net-pnl'),
    figure('Realized', money(totals.realizedPnl), 'realized-pnl'),
    figure('Unrealized', money(totals.unrealizedPnl), 'unrealized-pnl'),
    figure('Charges', rupees(totals.chargesPaid), 'charges'),
    figure('Cash', rupees(totals.cash), 'cash'),
    figure('Open positions', String(totals.openPositions), 'open-positions'),
    figure('As of', istTime(totals.asOf), 'as-of'),
  );
}

export function positionsView(portfolio: Portfolio | undefined): HTMLElement {
  const rows = (portfolio?.strategies ?? []).flatMap((book) =>
    book.positions
      .filter((position) => position.quantity !== 0)
      .map((position) =>
        h(
          'tr',
          {},
          h('td', {}, book.strategyId),
          h('td', {}, portfolio?.symbols[String(position.instrumentToken)] ?? String(position.instrumentToken)),
          h('td', { class: 'num' }, count(position.quantity)),
          h('td', { class: 'num' }, rupees(position.averagePrice)),
          h('td', { class: 'num' }, rupees(position.lastPrice)),
          h('td', { class: 'num' }, money(position.unrealizedPnl)),
          h('td', { class: 'num' }, money(position.realizedPnl)),
        ),
      ),
  );
  return table(['Strategy', 'Instrument', 'Qty', 'Avg price', 'Last', 'Unrealized', 'Realized'], rows, 'No open positions.');
}

export function ordersView(orders: Order[]): HTMLElement {
  return table(
    ['Time', 'Strategy', 'Instrument', 'Side', 'Qty', 'Type', 'Status', 'Filled', 'Avg price'],
    orders.map((order) =>
      h(
        'tr',
        { 'data-order': order.orderId, title: order.failureReason ?? '' },
        h('td', {}, istTime(order.submittedAt)),
        h('td', {}, order.strategyId),
        h('td', {}, order.tradingsymbol),
        h('td', {}, side(order.side)),
        h('td', { class: 'num' }, count(order.quantity)),
        h('td', {}, `${order.orderType} ${order.product}`),
        h('td', {}, badge(order.status, STATUS_KIND[order.status] ?? 'info')),
        h('td', { class: 'num' }, count(order.filledQuantity)),
        h('td', { class: 'num' }, rupees(order.averagePrice)),
      ),
    ),
    'No orders yet.',
  );
}

export function fillsView(fills: Fill[], symbols: Record<string, string>): HTMLElement {
  return table(
    ['Time', 'Strategy', 'Instrument', 'Side', 'Qty', 'Price', 'Charges'],
    fills.map((fill) =>
      h(
        'tr',
        { 'data-fill': fill.fillId },
        h('td', {}, istTime(fill.filledAt)),
        h('td', {}, fill.strategyId),
        h('td', {}, symbols[String(fill.instrumentToken)] ?? String(fill.instrumentToken)),
        h('td', {}, side(fill.side)),
        h('td', { class: 'num' }, count(fill.quantity)),
        h('td', { class: 'num' }, rupees(fill.price)),
        h('td', { class: 'num' }, rupees(fill.chargesPaid)),
      ),
    ),
    'No fills yet.',
  );
}

export function pipelineView(report: Report | null | undefined): HTMLElement[] {
  if (!report) return [h('p', { class: 'empty' }, 'No report from the pipeline monitor yet.')];
  return [
    h(
      'p',
      { class: 'phase-line' },
      badge(report.state, STATE_KIND[report.state] ?? 'info'),
      h('span', { class: 'muted' }, `market ${report.market.open ? 'open' : 'closed'} · sampled ${istTime(report.at)} · dead letters ${report.errors.deadLetters}`),
    ),
    report.reasons.length > 0 ? h('ul', { class: 'reasons' }, report.reasons.map((reason) => h('li', {}, reason))) : h('span'),
    h(
      'div',
      { class: 'split' },
      table(
        ['Stage', 'Health', 'Lag', 'Input age', 'Stalled'],
        report.stages.map((stage) => h('tr', { title: stage.reasons.join('; ') }, h('td', {}, stage.stage), h('td', {}, badge(stage.status, STATE_KIND[stage.status] ?? 'info')), h('td', { class: 'num' }, stage.lag === null ? '—' : count(stage.lag)), h('td', { class: 'num' }, duration(stage.inputAgeMs)), h('td', { class: 'num' }, stage.stalledForMs > 0 ? duration(stage.stalledForMs) : '—'))),
        'No stages.',
      ),
      table(
        ['Topic', 'Msg/s', 'Messages', 'Last event'],
        report.topics.map((topic) => h('tr', {}, h('td', { class: 'clip' }, topic.topic), h('td', { class: 'num' }, count(topic.perSecond)), h('td', { class: 'num' }, count(topic.messages)), h('td', { class: 'num' }, `${duration(topic.ageMs)} ago`))),
        'No topics.',
      ),
    ),
  ];
}

export function strategiesView(strategies: Strategy[] | undefined, onToggle: (strategy: Strategy) => void): HTMLElement {
  return table(
    ['Strategy', 'Type', 'Instruments', 'Parameters', 'State', ''],
    (strategies ?? []).map((strategy) =>
      h(
        'tr',
        { 'data-strategy': strategy.id },
        h('td', {}, h('strong', {}, strategy.id), h('div', { class: 'muted' }, strategy.name)),
        h('td', {}, strategy.strategyType),
        h('td', {}, strategy.symbols.join(', ')),
        h('td', { class: 'muted clip' }, Object.entries(strategy.parameters).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')),
        h('td', {}, badge(strategy.isActive ? 'active' : 'inactive', strategy.isActive ? 'good' : 'muted')),
        h('td', {}, h('button', { type: 'button', class: strategy.isActive ? 'secondary' : '', onclick: () => onToggle(strategy) }, strategy.isActive ? 'Deactivate' : 'Activate')),
      ),
    ),
    'No strategies.',
  );
}

export function killSwitchView(state: KillSwitch | undefined, onSet: (reason: string) => void, onClear: () => void): HTMLElement[] {
  if (!state) return [h('p', { class: 'empty' }, 'Reading…')];
  const reason = h('input', { type: 'text', id: 'kill-reason', placeholder: 'Reason (shown to everyone)', maxlength: 500 }) as HTMLInputElement;
  return [
    h(
      'p',
      { class: 'phase-line', id: 'kill-state' },
      state.active ? badge('ON: new exposure halted', 'bad') : badge('off: trading allowed', 'good'),
      state.active ? h('span', {}, state.reason ?? '(no reason given)', state.setAt ? ` · since ${istDateTime(state.setAt)}` : '') : null,
    ),
    state.active
      ? h('button', { type: 'button', id: 'kill-clear', onclick: onClear }, 'Clear kill switch')
      : h(
          'form',
          {
            class: 'row',
            onsubmit: (event: Event) => {
              event.preventDefault();
              onSet(reason.value.trim());
            },
          },
          reason,
          h('button', { type: 'submit', class: 'danger', id: 'kill-set' }, 'Set kill switch'),
        ),
  ];
}
