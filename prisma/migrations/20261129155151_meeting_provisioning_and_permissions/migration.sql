-- CreateEnum
CREATE TYPE "MeetingStartPolicy" AS ENUM ('ANYONE', 'SIGNED_IN', 'OWNER');

-- AlterTable
ALTER TABLE "Meeting" ADD COLUMN     "provisionRetryAt" TIMESTAMP(3),
ADD COLUMN     "provisioningError" TEXT,
ADD COLUMN     "provisioningFailures" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Room" ADD COLUMN     "meetingStartPolicy" "MeetingStartPolicy" NOT NULL DEFAULT 'ANYONE';
