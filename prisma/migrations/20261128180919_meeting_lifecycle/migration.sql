-- AlterTable
ALTER TABLE "Meeting" ADD COLUMN     "calendarSlot" TEXT,
ADD COLUMN     "firstJoinedAt" TIMESTAMP(3),
ADD COLUMN     "participantCountAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Meeting_calendarSlot_key" ON "Meeting"("calendarSlot");

-- CreateIndex
CREATE INDEX "Meeting_platformMeetingId_idx" ON "Meeting"("platformMeetingId");
