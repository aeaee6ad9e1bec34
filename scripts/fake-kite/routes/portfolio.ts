// GET /portfolio/positions: `net` (everything held, carried positions included) and `day` (only
// today's trades), one row per exchange, tradingsymbol and product, in Kite's fields. Amounts are
// summed in paise and shown in rupees.
import type { FastifyInstance } from 'fastify';
import { requireKiteVersion, sendData } from '../kite-http';
import type { FakeKiteOrders } from '../orders-state';
import type { FakeKiteState } from '../state';
import { requireSession } from './orders';

interface Book {
  exchange: string;
  tradingsymbol: string;
  instrumentToken: number;
  product: string;
  overnightQuantity: number;
  buyQuantity: number;
  buyValue: number;
  sellQuantity: number;
  sellValue: number;
  dayBuyQuantity: number;
  dayBuyValue: number;
  daySellQuantity: number;
  daySellValue: number;
}

export function registerPortfolioRoutes(app: FastifyInstance, state: FakeKiteState, orders: FakeKiteOrders): void {
  app.get('/portfolio/positions', { preHandler: [requireKiteVersion, requireSession(state)] }, async (_request, reply) => {
    const books = new Map<string, Book>();
    const bookOf = (row: { exchange: string; tradingsymbol: string; instrumentToken: number; product: string }) => {
      const key = `${row.exchange}:${row.tradingsymbol}:${row.product}`;
      let book = books.get(key);
      if (!book) {
        book = { ...pick(row), overnightQuantity: 0, buyQuantity: 0, buyValue: 0, sellQuantity: 0, sellValue: 0, dayBuyQuantity: 0, dayBuyValue: 0, daySellQuantity: 0, daySellValue: 0 };
        books.set(key, book);
      }
      return book;
    };
    for (const carried of orders.carriedPositions()) {
      const book = bookOf(carried);
      book.overnightQuantity += carried.quantity;
      const value = carried.averagePrice * Math.abs(carried.quantity);
      if (carried.quantity > 0) {
        book.buyQuantity += carried.quantity;
        book.buyValue += value;
      } else {
        book.sellQuantity -= carried.quantity;
        book.sellValue += value;
      }
    }
    for (const trade of orders.listTrades()) {
      const book = bookOf(trade);
      const value = trade.price * trade.quantity;
      if (trade.transactionType === 'BUY') {
        book.buyQuantity += trade.quantity;
        book.buyValue += value;
        book.dayBuyQuantity += trade.quantity;
        book.dayBuyValue += value;
      } else {
        book.sellQuantity += trade.quantity;
        book.sellValue += value;
        book.daySellQuantity += trade.quantity;
        book.daySellValue += value;
      }
    }
    const all = [...books.values()];
    const net = all.map((book) => positionJson(book, orders.lastPrice(book.instrumentToken), false));
    const day = all.filter((book) => book.dayBuyQuantity + book.daySellQuantity > 0).map((book) => positionJson(book, orders.lastPrice(book.instrumentToken), true));
    return sendData(reply, { net, day });
  });
}

function pick(row: { exchange: string; tradingsymbol: string; instrumentToken: number; product: string }) {
  return { exchange: row.exchange, tradingsymbol: row.tradingsymbol, instrumentToken: row.instrumentToken, product: row.product };
}

const rupees = (amount: number) => amount / 100;
const average = (value: number, quantity: number) => (quantity === 0 ? 0 : value / quantity / 100);

function positionJson(book: Book, lastPrice: number | undefined, dayOnly: boolean) {
  const buyQuantity = dayOnly ? book.dayBuyQuantity : book.buyQuantity;
  const buyValue = dayOnly ? book.dayBuyValue : book.buyValue;
  const sellQuantity = dayOnly ? book.daySellQuantity : book.sellQuantity;
  const sellValue = dayOnly ? book.daySellValue : book.sellValue;
  const quantity = buyQuantity - sellQuantity;
  const last = lastPrice ?? 0;
  // P&L in paise: what was received minus what was paid, plus what is still held at the last price.
  const pnl = sellValue - buyValue + quantity * last;
  const matched = Math.min(buyQuantity, sellQuantity);
  const realised = matched === 0 ? 0 : Math.round(matched * (sellValue / sellQuantity - buyValue / buyQuantity));
  return {
    tradingsymbol: book.tradingsymbol,
    exchange: book.exchange,
    instrument_token: book.instrumentToken,
    product: book.product,
    quantity,
    overnight_quantity: dayOnly ? 0 : book.overnightQuantity,
    multiplier: 1,
    average_price: quantity > 0 ? average(buyValue, buyQuantity) : quantity < 0 ? average(sellValue, sellQuantity) : 0,
    close_price: 0,
    last_price: rupees(last),
    value: rupees(sellValue - buyValue),
    pnl: rupees(pnl),
    m2m: rupees(pnl),
    unrealised: rupees(pnl - realised),
    realised: rupees(realised),
    buy_quantity: buyQuantity,
    buy_price: average(buyValue, buyQuantity),
    buy_value: rupees(buyValue),
    buy_m2m: rupees(buyValue),
    sell_quantity: sellQuantity,
    sell_price: average(sellValue, sellQuantity),
    sell_value: rupees(sellValue),
    sell_m2m: rupees(sellValue),
    day_buy_quantity: book.dayBuyQuantity,
    day_buy_price: average(book.dayBuyValue, book.dayBuyQuantity),
    day_buy_value: rupees(book.dayBuyValue),
    day_sell_quantity: book.daySellQuantity,
    day_sell_price: average(book.daySellValue, book.daySellQuantity),
    day_sell_value: rupees(book.daySellValue),
  };
}
