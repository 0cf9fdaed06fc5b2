import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig } from './config/config.js';
import { VERSION } from './context.js';
import { COMMANDS } from './commands/index.js';

/** Usage and configuration errors exit 2 (as in most CLIs); 1 is for checks that failed. */
const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command('classic-models-mcp')
    .description('MCP server for the Classic Models API (product lines, products, offices, employees, customers, orders, payments, order lines)')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    '\nWith no command it runs serve-stdio (or serve-sse when TRANSPORT=sse), so `npx classic-models-mcp` works as is in a Claude Desktop config.\nSettings come from flags, then the environment, then a .env file in the working directory; `login-check` shows the effective ones.',
  );
  for (const def of COMMANDS) {
    const cmd = program.command(def.name).description(def.description).exitOverride();
    for (const o of def.options) {
      const opt = new Option(o.flags, o.description);
      if (o.hidden) opt.hideHelp();
      cmd.addOption(opt);
    }
    if (def.help) cmd.addHelpText('after', '\n' + def.help);
    cmd.action(async (flags: Record<string, unknown>) => {
      process.exitCode = await def.run(flags);
    });
  }
  return program;
}

/** `npx classic-models-mcp` with no command (or only flags) means the transport's serve command. */
function withDefaultCommand(argv: string[]): string[] {
  const args = argv.slice(2);
  const first = args[0];
  const names = new Set(COMMANDS.map((c) => c.name).concat('help'));
  if (first && (names.has(first) || ['-h', '--help', '-v', '--version'].includes(first))) return argv;
  const transport = loadConfig().config.transport;
  return [...argv.slice(0, 2), transport === 'sse' ? 'serve-sse' : 'serve-stdio', ...args];
}

async function main() {
  // A reader that goes away (`| head`, a client that quit) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(withDefaultCommand(process.argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here with exit code 0; usage errors were already printed.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`classic-models-mcp: configuration error: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`classic-models-mcp: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main().then(() => {
  // Everything was closed; should a stray handle keep the loop alive, do not hang the client.
  setTimeout(() => process.exit(), 2_000).unref();
});
