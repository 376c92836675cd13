import { Prisma } from '../generated/prisma/client.js';

/** The write hit a unique constraint (Prisma's P2002): the row exists already. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
