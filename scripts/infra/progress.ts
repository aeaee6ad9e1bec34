// Progress of components that start in parallel: one line per step, prefixed with the elapsed
// time and the component. Long steps (a build that takes minutes) also show a live line: on a
// terminal it redraws in place with a spinner; in a log (CI) it repeats every few seconds.

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const PLAIN_REPEAT_MS = 15_000;

export interface Progress {
  /** A step of `component`: written once, as its own line. */
  step(component: string, message: string): void;
  /** The current state of a long step, shown live until `done`. */
  live(component: string, message: string): void;
  /** Ends the live line of `component`. */
  done(component: string): void;
  /** Stops redrawing; call before exiting. */
  close(): void;
  /** Seconds since the progress started, formatted. */
  elapsed(): string;
}

export function createProgress(out: NodeJS.WriteStream = process.stdout, startedAt = Date.now()): Progress {
  const tty = out.isTTY === true;
  const lives = new Map<string, { message: string; printedAt: number }>();
  let frame = 0;
  let drawn = false;

  const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
  const format = (component: string, message: string) => `${elapsed().padStart(7)}  ${component.padEnd(9)} ${message}`;

  const clearLive = () => {
    if (drawn) out.write('\r\x1b[K');
    drawn = false;
  };
  const drawLive = () => {
    if (!tty || lives.size === 0) return;
    const text = [...lives].map(([component, { message }]) => `${component}: ${message}`).join(' | ');
    const width = (out.columns ?? 120) - 12;
    out.write(`\r\x1b[K${SPINNER[frame % SPINNER.length]} ${elapsed().padStart(7)}  ${text.slice(0, width)}`);
    drawn = true;
  };

  const timer = tty
    ? setInterval(() => {
        frame += 1;
        if (lives.size > 0) drawLive();
      }, 100)
    : undefined;
  timer?.unref();

  return {
    elapsed,
    step(component, message) {
      clearLive();
      out.write(`${format(component, message)}\n`);
      drawLive();
    },
    live(component, message) {
      const previous = lives.get(component);
      if (tty) {
        lives.set(component, { message, printedAt: Date.now() });
        drawLive();
        return;
      }
      // In a log, repeat the state now and then so that a long build visibly moves.
      const now = Date.now();
      if (!previous || now - previous.printedAt >= PLAIN_REPEAT_MS) {
        out.write(`${format(component, message)}\n`);
        lives.set(component, { message, printedAt: now });
      } else {
        lives.set(component, { message, printedAt: previous.printedAt });
      }
    },
    done(component) {
      lives.delete(component);
      clearLive();
      drawLive();
    },
    close() {
      if (timer) clearInterval(timer);
      clearLive();
    },
  };
}
