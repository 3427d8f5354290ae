-- AlterTable
ALTER TABLE "Bead" ADD COLUMN     "issueType" TEXT NOT NULL DEFAULT 'task',
ADD COLUMN     "parent" TEXT,
ADD COLUMN     "related" TEXT NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "MergeRequest" ADD COLUMN     "checkRuns" TEXT NOT NULL DEFAULT '[]';

