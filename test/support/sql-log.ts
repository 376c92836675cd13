// The SQL statements a server runs, read from its own log: LOG_LEVEL=trace
// logs each one ("sql statement"). Give the logger to startTestServer.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export function sqlStatementLog(): { logger: Logger; statements: string[] } {
  const statements: string[] = [];
  const log = new Writable({
    write(line: Buffer, _encoding, done) {
      const entry = JSON.parse(line.toString()) as { msg?: string; sql?: string };
      if (entry.msg === 'sql statement' && entry.sql) statements.push(entry.sql);
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, log), statements };
}
