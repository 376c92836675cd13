// `npm start`: reads the environment, starts the server, stops it cleanly on SIGTERM/SIGINT.
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirectoryInUseError } from './db/data-dir-lock.js';
import { MigrationError } from './db/migrations.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let app;
  try {
    app = await startApp({ config, logger });
  } catch (error) {
    const known =
      error instanceof MigrationError ||
      error instanceof DataDirectoryInUseError ||
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    logger.fatal({ err: known ? undefined : error }, `roomcal could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  logger.info({ url: `${app.url}/graphql`, database: app.database.engine }, `roomcal is running at ${app.url}/graphql`);

  // Ctrl-C in a terminal signals both npm and the server, and npm forwards its
  // copy: a repeated signal must not cut the graceful shutdown short.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return logger.info({ signal }, 'already shutting down');
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    forced.unref();
    app.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
