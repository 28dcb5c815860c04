// Following a workflow until it closes: one redrawn line on a terminal, a line per change when
// piped. Shared by `rollbackctl watch` and `npm run restore:watch`.

export interface Observation {
  line: string;
  /** What counts as a change when piped (default the line): a countdown alone is not one. */
  key?: string;
  /** The run has closed: this is the last line. */
  finished: boolean;
  /** It closed badly (exit 1). */
  failed: boolean;
  /** Printed after the last line when it failed. */
  failure?: string;
  /** Printed instead of the line when output is JSON lines. */
  json?: unknown;
}

export interface FollowOptions {
  intervalMs: number;
  once?: boolean;
  json?: boolean;
  out?: NodeJS.WriteStream;
}

const spinner = ['|', '/', '-', '\\'];

/** Polls `observe` until the run finishes; resolves to the exit code (0 completed, 1 failed). */
export async function follow(observe: () => Promise<Observation>, options: FollowOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const tty = out.isTTY && !options.json;
  let last = '';
  for (let tick = 0; ; tick++) {
    const o = await observe();
    const key = o.key ?? (options.json ? JSON.stringify(o.json ?? o.line) : o.line);
    if (tty) {
      out.write(`\r\x1b[2K${o.finished ? ' ' : spinner[tick % spinner.length]} ${o.line}`);
    } else if (key !== last) {
      out.write(`${options.json ? JSON.stringify(o.json ?? o.line) : o.line}\n`);
    }
    last = key;
    if (o.finished || options.once) {
      if (tty) out.write('\n');
      if (o.failed && o.failure && !options.json) out.write(`${o.failure}\n`);
      return o.failed ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}
