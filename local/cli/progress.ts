/**
 * Progress lines on standard error: on a terminal, a Map's "N / M ... done" lines redraw one bar
 * in place; anywhere else (a pipe, a log file, CI) every line is printed as it comes.
 */
import type { CliIo } from './io.ts';

const MAP_PROGRESS = /^(.+): (\d+) \/ (\d+) (\S+) done(.*)$/;
const BAR_WIDTH = 30;

export interface ProgressPrinter {
  line(text: string): void;
  /** Ends a bar still being drawn, so what follows starts on its own line. */
  end(): void;
}

export function progressPrinter(io: CliIo): ProgressPrinter {
  if (!io.errIsTTY) {
    return { line: (text) => io.err(`${text}\n`), end: () => undefined };
  }
  let drawing = false;
  const end = () => {
    if (drawing) io.err('\n');
    drawing = false;
  };
  return {
    line(text) {
      const match = MAP_PROGRESS.exec(text);
      if (!match) {
        end();
        io.err(`${text}\n`);
        return;
      }
      const [, name, done, total, unit, rest] = match;
      io.err(
        `\r\x1b[K${progressBar(name ?? '', Number(done), Number(total), unit ?? '', rest ?? '')}`,
      );
      drawing = true;
    },
    end,
  };
}

export function progressBar(
  name: string,
  done: number,
  total: number,
  unit: string,
  rest = '',
): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `${name} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${unit} (${Math.floor(fraction * 100)}%)${rest}`;
}
