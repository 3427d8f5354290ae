-- AlterTable
ALTER TABLE "Rig" ADD COLUMN "lineage" TEXT;

