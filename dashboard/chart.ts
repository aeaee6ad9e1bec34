// Portfolio value and net P&L over time, with lightweight-charts: value on the right scale, net
// P&L on the left. The chart takes rupees as floats for drawing only; every figure printed in
// the page comes from the exact paise.
import { createChart, LineSeries, type IChartApi, type ISeriesApi, type Time, type UTCTimestamp } from 'lightweight-charts';
import { istDateTime, istTime, rupees } from './format';

export interface PnlPoint {
  time: number;
  value: number;
  netPnl: number;
}

export class PnlChart {
  private readonly chart: IChartApi;
  private readonly value: ISeriesApi<'Line'>;
  private readonly net: ISeriesApi<'Line'>;
  private readonly points = new Map<number, PnlPoint>();

  constructor(container: HTMLElement) {
    const seconds = (time: Time) => (typeof time === 'number' ? time * 1000 : Date.parse(String(time)));
    this.chart = createChart(container, {
      autoSize: true,
      layout: { background: { color: 'transparent' }, textColor: '#475569', fontFamily: 'inherit' },
      grid: { vertLines: { color: '#eef2f7' }, horzLines: { color: '#eef2f7' } },
      leftPriceScale: { visible: true, borderVisible: false },
      rightPriceScale: { visible: true, borderVisible: false },
      timeScale: { timeVisible: true, secondsVisible: true, borderVisible: false, tickMarkFormatter: (time: Time) => istTime(seconds(time)) },
      localization: { timeFormatter: (time: Time) => istDateTime(seconds(time)), priceFormatter: (price: number) => rupees(Math.round(price * 100)) },
    });
    this.value = this.chart.addSeries(LineSeries, { color: '#2563eb', lineWidth: 2, priceScaleId: 'right', title: 'Value' });
    this.net = this.chart.addSeries(LineSeries, { color: '#16a34a', lineWidth: 2, priceScaleId: 'left', title: 'Net P&L' });
  }

  /** Adds points (a later one at the same second replaces the earlier). */
  add(points: readonly PnlPoint[]): void {
    if (points.length === 0) return;
    for (const point of points) this.points.set(point.time, point);
    const sorted = [...this.points.values()].sort((a, b) => a.time - b.time);
    this.value.setData(sorted.map((point) => ({ time: point.time as UTCTimestamp, value: point.value / 100 })));
    this.net.setData(sorted.map((point) => ({ time: point.time as UTCTimestamp, value: point.netPnl / 100 })));
    this.chart.timeScale().fitContent();
  }

  get size(): number {
    return this.points.size;
  }

  remove(): void {
    this.chart.remove();
  }
}
