// The entrolab command line. Each command lives in src/cli/commands/<name>.ts; add new ones to COMMANDS.
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { evalCommand } from './commands/eval.ts';
import { listCommand } from './commands/list.ts';
import { lossCommand } from './commands/loss.ts';
import { playCommand } from './commands/play.ts';
import { reportCommand } from './commands/report.ts';
import { sftCommand } from './commands/sft.ts';
import { sweepCommand } from './commands/sweep.ts';
import { trainCommand } from './commands/train.ts';
import { UserError } from '../errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const COMMANDS: CommandModule<any, any>[] = [trainCommand, evalCommand, playCommand, sftCommand, sweepCommand, reportCommand, lossCommand, listCommand];

function fail(message: string): never {
  process.stderr.write(`entrolab: error: ${message}\n`);
  process.exit(1);
}

// `entrolab … | head` closes the pipe early: stop quietly instead of crashing on EPIPE
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

process.on('unhandledRejection', (e) => {
  if (e instanceof UserError) fail(e.message);
  throw e;
});

let cli = yargs(hideBin(process.argv))
  .scriptName('entrolab')
  .usage('$0 <command> [options]\n\nTrain small policies with GRPO and entropy regularizers.')
  .strict()
  .demandCommand(1, 'name a command (see the list above)')
  .recommendCommands()
  .wrap(Math.min(120, process.stdout.columns ?? 120))
  .fail((msg, err) => {
    if (err) throw err;
    fail(`${msg} (see --help)`);
  });
for (const command of COMMANDS) cli = cli.command(command);

try {
  await cli.parseAsync();
} catch (e) {
  if (e instanceof UserError) fail(e.message);
  throw e;
}
