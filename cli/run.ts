/**
 * Runs a commander program with the exit codes the CLI documents: usage errors exit 1
 * (with the usage text), CliErrors their own code, anything unexpected 1.
 */
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { CliError, EXIT } from './client';
import { colour } from './output';

export async function run(program: Command, argv: string[]): Promise<void> {
  // `bd list | head -5` closes the pipe once it has its lines: the reader has what it
  // wanted, so that is a quiet, successful end, not a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(EXIT.ok);
  });
  const override = (cmd: Command) => {
    cmd
      .exitOverride()
      .showHelpAfterError()
      .configureOutput({ outputError: (s, write) => write(colour.red(s)) });
    cmd.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof CliError) {
      console.error(colour.red(`error: ${err.message}`));
      process.exitCode = err.exitCode;
      return;
    }
    console.error(colour.red(`error: ${err instanceof Error ? err.message : String(err)}`));
    process.exitCode = EXIT.usage;
  }
}

/** Parses a whole number option, or fails as a usage error. */
export function int(name: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return Number(value);
  };
}
