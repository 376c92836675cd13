-- AlterTable
ALTER TABLE "CalendarEvent" ADD COLUMN     "timeZone" TEXT NOT NULL DEFAULT 'UTC';

-- AlterTable
ALTER TABLE "Meeting" ADD COLUMN     "peakParticipantCount" INTEGER NOT NULL DEFAULT 0;
