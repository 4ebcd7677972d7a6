/** A stream the CLI writes to: process.stdout/stderr, or anything writable in tests. */
export interface OutputStream {
  write(chunk: string): boolean;
  on(event: "drain" | "error" | "close", listener: (...args: unknown[]) => void): unknown;
  removeListener(event: "drain" | "error" | "close", listener: (...args: unknown[]) => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where the CLI reads and writes. Every field defaults to the current process's. */
export interface CliIo {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; fd?: number };
  stdout?: OutputStream;
  stderr?: OutputStream;
  env?: NodeJS.ProcessEnv;
  /** The directory relative paths (data dir, -f, import files) resolve against. */
  cwd?: string;
}

export interface ResolvedIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; fd?: number };
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The io of one run. The process's stdin and stderr are taken on first use: creating them costs a
 * few milliseconds of start-up, and most commands read no stdin and write nothing on stderr.
 */
export function resolveIo(io: CliIo = {}): ResolvedIo {
  return {
    get stdin() {
      return io.stdin ?? process.stdin;
    },
    stdout: io.stdout ?? process.stdout,
    get stderr() {
      return io.stderr ?? process.stderr;
    },
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
}

/** Raised when the reader of our stdout went away (`wfstore store export s | head`). */
export class BrokenPipe extends Error {
  constructor() {
    super("broken pipe");
    this.name = "BrokenPipe";
  }
}

/**
 * Writes with backpressure: resolves once the stream can take more, so a million-line export never
 * queues more than one chunk in memory. A closed reader (EPIPE) becomes BrokenPipe.
 */
export async function writeAll(stream: OutputStream, chunk: string): Promise<void> {
  const guard = errorGuard(stream);
  if (guard.error) throw asBrokenPipe(guard.error);
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: unknown) => {
      stream.removeListener("drain", onDrain);
      stream.removeListener("close", onClose);
      stream.removeListener("error", onError);
      if (error === undefined) resolve();
      else reject(asBrokenPipe(error));
    };
    const onDrain = () => done();
    const onClose = () => done(guard.error ?? new BrokenPipe());
    const onError = (error: unknown) => done(error);
    stream.on("drain", onDrain);
    stream.on("close", onClose);
    stream.on("error", onError);
  });
}

const guards = new WeakMap<OutputStream, { error?: unknown }>();

/**
 * A permanent 'error' listener on an output stream: without one, an EPIPE on process.stdout would be
 * an uncaught exception instead of a quiet end of output.
 */
export function errorGuard(stream: OutputStream): { error?: unknown } {
  let guard = guards.get(stream);
  if (!guard) {
    const g: { error?: unknown } = {};
    stream.on("error", (error: unknown) => {
      g.error ??= error;
    });
    guards.set(stream, g);
    guard = g;
  }
  return guard;
}

function asBrokenPipe(error: unknown): unknown {
  return (error as NodeJS.ErrnoException)?.code === "EPIPE" || error instanceof BrokenPipe
    ? new BrokenPipe()
    : error;
}

/** Buffers small writes into larger chunks (export writes one line per entry). */
export class ChunkedWriter {
  private buffer = "";

  constructor(
    private readonly stream: OutputStream,
    private readonly chunkSize = 64 * 1024,
  ) {}

  async write(text: string): Promise<void> {
    if (text.length >= this.chunkSize) {
      // A large line goes out as it is: appending it to the buffer would copy it once more.
      await this.flush();
      await writeAll(this.stream, text);
      return;
    }
    this.buffer += text;
    if (this.buffer.length >= this.chunkSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer === "") return;
    const chunk = this.buffer;
    this.buffer = "";
    await writeAll(this.stream, chunk);
  }
}
