// Progress bars on stderr while the benchmark runs (stdout carries only the figures). Drawn only
// when stderr is a terminal, so piping or capturing the output stays clean.
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, detail?: string): void;
  stop(): void;
}

export function progressBar(label: string, total: number, unit: string): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(28)} |{bar}| {percentage}% {value}/{total} ${unit} {detail}`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { detail: '' });
  return {
    update: (value, detail = '') => bar.update(Math.min(value, total), { detail }),
    stop: () => bar.stop(),
  };
}
