// The entrolab command line. Each command lives in src/cli/commands/<name>.ts; add new ones to
// COMMANDS (src/cli/command-index.ts). Only the command being run is loaded: most of them pull in
// TensorFlow.js, which `entrolab --help` has no use for.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../base/errors.ts';
import { loadPlugins } from '../plugins/load-plugins.ts';
import { COMMANDS } from './command-index.ts';
import { failureLine, joinLines } from './failure-line.ts';

/** Every failure ends here: one line on stderr (failure-line.ts), exit 1 (70 for a bug). */
function fail(e: unknown): never {
  const { line, exitCode } = failureLine(e);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}

// `entrolab … | head` closes the pipe early: stop quietly instead of crashing on EPIPE
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

let cli = yargs(hideBin(process.argv))
  .scriptName('entrolab')
  .usage('$0 <command> [options]\n\nTrain small policies with GRPO and entropy regularizers.')
  .strict()
  .demandCommand(1, 'name a command (see the list above)')
  .recommendCommands()
  .wrap(Math.min(120, process.stdout.columns ?? 120))
  .fail((msg, err) => {
    if (err) throw err;
    fail(new UserError(`${joinLines(msg)} (see --help)`));
  })
  .option('plugin', {
    type: 'string',
    array: true,
    global: true,
    describe: 'import a file or package that defines regularizers, envs or policies first (repeatable)',
  })
  // --plugin files are imported before any command reads a config, relative to the working directory
  .middleware(async (argv) => {
    const plugins = (argv.plugin as string[] | undefined) ?? [];
    await loadPlugins(plugins.map((ref) => ({ ref, baseDir: process.cwd(), where: '--plugin' })));
  });
// the first word that is not an option names the command (yargs has no global positionals here)
const named = process.argv.slice(2).find((a) => !a.startsWith('-'));
for (const entry of COMMANDS) {
  if (entry.name === named) cli = cli.command(await entry.load());
  else cli = cli.command(entry.usage, entry.describe);
}

try {
  await cli.parseAsync();
} catch (e) {
  fail(e);
}
