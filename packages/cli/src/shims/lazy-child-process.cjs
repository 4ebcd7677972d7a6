// commander requires child_process when it loads, for executable subcommands, which wfstore has none
// of. The bin's bundle maps "child_process" here (tsup.config.ts): the real module loads on first use.
let real;
module.exports = new Proxy(
  {},
  {
    get(_target, name) {
      real ??= require("node:child_process");
      return real[name];
    },
  },
);
