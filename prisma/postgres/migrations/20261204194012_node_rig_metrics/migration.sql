-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "rigMetrics" TEXT;

