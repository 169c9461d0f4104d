// `entrolab report <run-or-sweep-dir>`: report.html + figures/*.svg, and the summary table on stdout.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { loadReportData, staleRuns } from '../../report/data.ts';
import { tableToCsv, tableToMarkdown, writeReport } from '../../report/report.ts';
import { numberOption } from '../number-flag.ts';

interface ReportArgs {
  dir: string;
  format: 'md' | 'csv' | 'none';
  threshold?: number;
  'include-unfinished': boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe: 'write report.html and SVG figures for a run or sweep directory; print the summary table',
  builder: (y) =>
    y
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: 'a run directory, a sweep directory, or a folder of run directories',
      })
      .option('format', {
        choices: ['md', 'csv', 'none'] as const,
        default: 'md' as const,
        describe: 'summary table on stdout: Markdown, CSV, or nothing',
      })
      .option(
        'threshold',
        numberOption(
          'threshold',
          "success rate for the 'steps to ≥θ' column (default: the sweep's report.threshold, else 0.5)",
          { min: 0, max: 1, integer: false },
        ),
      )
      .option('include-unfinished', {
        type: 'boolean',
        default: false,
        describe: 'count runs that have not finished in the table',
      })
      .example('$0 report runs/ablation', 'report on a sweep')
      .example('$0 report runs/ablation --format csv > ablation.csv', 'the table as CSV') as never,
  handler: (args) => {
    const data = loadReportData(args.dir, args.threshold);
    const out = writeReport(data, { includeUnfinished: args['include-unfinished'] });
    if (args.format === 'md') process.stdout.write(tableToMarkdown(out.table));
    if (args.format === 'csv') process.stdout.write(tableToCsv(out.table));
    const stale = staleRuns(data).map((r) => r.id);
    if (stale.length > 0) {
      process.stderr.write(
        `note: ${stale.length} run(s) say running but their trainer is gone (crashed or killed): ` +
          `${stale.join(', ')}; ` +
          'resume them with --resume or by re-running the sweep\n',
      );
    }
    process.stderr.write(`wrote ${out.html} and ${out.figures.length} figures in ${path.join(args.dir, 'figures')}\n`);
  },
};
