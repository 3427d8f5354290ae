-- AlterTable: every step of the validation that decided a merge request (issue 19, real checks).
ALTER TABLE "MergeRequest" ADD COLUMN "checkRuns" TEXT NOT NULL DEFAULT '[]';

-- AlterTable: what the beads interchange format carries beyond blocks dependencies.
ALTER TABLE "Bead" ADD COLUMN "issueType" TEXT NOT NULL DEFAULT 'task';
ALTER TABLE "Bead" ADD COLUMN "parent" TEXT;
ALTER TABLE "Bead" ADD COLUMN "related" TEXT NOT NULL DEFAULT '[]';
