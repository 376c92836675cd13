-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "VideoPlatform" AS ENUM ('LOCAL', 'WHEREBY');

-- CreateEnum
CREATE TYPE "SyncOutcome" AS ENUM ('SUCCESS', 'UNCHANGED', 'ERROR', 'SKIPPED');

-- CreateTable
CREATE TABLE "Room" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "platform" "VideoPlatform" NOT NULL DEFAULT 'LOCAL',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "icsUrlEncrypted" TEXT,
    "icsEnabled" BOOLEAN NOT NULL DEFAULT false,
    "icsFetchInterval" INTEGER NOT NULL DEFAULT 300,
    "icsLastSync" TIMESTAMP(3),
    "icsLastEtag" TEXT,
    "icsLastModified" TEXT,
    "icsLastHash" TEXT,
    "icsNextSyncAt" TIMESTAMP(3),
    "icsLastStatus" "SyncOutcome",
    "icsLastError" TEXT,
    "icsLastDurationMs" INTEGER,
    "icsEventsInFeed" INTEGER,
    "icsEventsInWindow" INTEGER,
    "icsEventsMatched" INTEGER,
    "icsEventsCreated" INTEGER,
    "icsEventsUpdated" INTEGER,
    "icsEventsDeleted" INTEGER,
    "icsEventsRestored" INTEGER,
    "icsFailureCount" INTEGER NOT NULL DEFAULT 0,
    "icsManualSyncAt" TIMESTAMP(3),
    "icsLeaseOwner" TEXT,
    "icsLeaseUntil" TIMESTAMP(3),

    CONSTRAINT "Room_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IcsFeedSnapshot" (
    "roomId" UUID NOT NULL,
    "bodyGzip" BYTEA NOT NULL,
    "bodyHash" TEXT NOT NULL,
    "fetchedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IcsFeedSnapshot_pkey" PRIMARY KEY ("roomId")
);

-- CreateTable
CREATE TABLE "CalendarEvent" (
    "id" UUID NOT NULL,
    "roomId" UUID NOT NULL,
    "icsUid" TEXT NOT NULL,
    "recurrenceId" TEXT NOT NULL DEFAULT '',
    "title" TEXT NOT NULL,
    "description" TEXT,
    "start" TIMESTAMP(3) NOT NULL,
    "end" TIMESTAMP(3) NOT NULL,
    "isAllDay" BOOLEAN NOT NULL DEFAULT false,
    "attendees" JSONB NOT NULL DEFAULT '[]',
    "organizer" JSONB,
    "location" TEXT,
    "status" TEXT,
    "sequence" INTEGER NOT NULL DEFAULT 0,
    "lastModified" TIMESTAMP(3),
    "lastSynced" TIMESTAMP(3) NOT NULL,
    "isDeleted" BOOLEAN NOT NULL DEFAULT false,
    "contentHash" TEXT NOT NULL,
    "rawVevent" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CalendarEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Meeting" (
    "id" UUID NOT NULL,
    "roomId" UUID NOT NULL,
    "calendarEventId" UUID,
    "calendarMetadata" JSONB,
    "platform" "VideoPlatform" NOT NULL,
    "platformMeetingId" TEXT,
    "roomUrl" TEXT,
    "hostRoomUrl" TEXT,
    "startDate" TIMESTAMP(3) NOT NULL,
    "endDate" TIMESTAMP(3) NOT NULL,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "participantCount" INTEGER NOT NULL DEFAULT 0,
    "lastParticipantLeftAt" TIMESTAMP(3),
    "startedAnnouncedAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "closeReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Meeting_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Room_name_key" ON "Room"("name");

-- CreateIndex
CREATE INDEX "Room_ownerId_idx" ON "Room"("ownerId");

-- CreateIndex
CREATE INDEX "Room_icsEnabled_icsNextSyncAt_idx" ON "Room"("icsEnabled", "icsNextSyncAt");

-- CreateIndex
CREATE INDEX "CalendarEvent_roomId_start_idx" ON "CalendarEvent"("roomId", "start");

-- CreateIndex
CREATE INDEX "CalendarEvent_start_idx" ON "CalendarEvent"("start");

-- CreateIndex
CREATE UNIQUE INDEX "CalendarEvent_roomId_icsUid_recurrenceId_key" ON "CalendarEvent"("roomId", "icsUid", "recurrenceId");

-- CreateIndex
CREATE UNIQUE INDEX "Meeting_calendarEventId_key" ON "Meeting"("calendarEventId");

-- CreateIndex
CREATE INDEX "Meeting_roomId_isActive_startDate_idx" ON "Meeting"("roomId", "isActive", "startDate");

-- CreateIndex
CREATE INDEX "Meeting_isActive_startDate_idx" ON "Meeting"("isActive", "startDate");

-- AddForeignKey
ALTER TABLE "IcsFeedSnapshot" ADD CONSTRAINT "IcsFeedSnapshot_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CalendarEvent" ADD CONSTRAINT "CalendarEvent_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_calendarEventId_fkey" FOREIGN KEY ("calendarEventId") REFERENCES "CalendarEvent"("id") ON DELETE SET NULL ON UPDATE CASCADE;
