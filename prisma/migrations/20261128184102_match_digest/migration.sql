-- AlterTable
ALTER TABLE "Room" ADD COLUMN     "icsLastMatchDigest" TEXT;
