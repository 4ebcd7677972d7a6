/** Output of the demo: numbered steps, shell commands with their output, task logs, a summary. */
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint("1");
const dim = paint("2");
const cyan = paint("36");
const green = paint("32");
const red = paint("31");
const yellow = paint("33");

let step = 0;
const write = (text: string) => process.stdout.write(`${text}\n`);

export const say = {
  title(text: string): void {
    write(bold(text));
  },
  step(text: string): void {
    step++;
    write(`\n${bold(`Step ${step} · ${text}`)}`);
  },
  heading(text: string): void {
    write(`\n${bold(text)}`);
  },
  line(text: string): void {
    write(`  ${text}`);
  },
  note(text: string): void {
    write(`  ${dim(text)}`);
  },
  command(text: string): void {
    write(`  ${cyan("$")} ${text}`);
  },
  output(text: string, isStderr = false): void {
    for (const l of text.replace(/\n$/, "").split("\n")) {
      if (l === "") continue;
      write(`    ${isStderr ? yellow(l) : l}`);
    }
  },
  task(name: string, text: string): void {
    write(`  ${paint("35")(`[task ${name}]`)} ${text}`);
  },
  ok(text: string): void {
    write(`  ${green("✓")} ${text}`);
  },
  fail(text: string): void {
    write(`  ${red("✗")} ${text}`);
  },
};
