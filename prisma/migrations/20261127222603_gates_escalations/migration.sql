-- AlterTable
ALTER TABLE "MergeRequest" ADD COLUMN "failedGate" TEXT;
ALTER TABLE "MergeRequest" ADD COLUMN "gateOutput" TEXT;

-- CreateTable
CREATE TABLE "Escalation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "severity" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "rig" TEXT,
    "beadId" TEXT,
    "polecatId" TEXT,
    "mergeRequestId" TEXT,
    "status" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "escalatedAt" REAL NOT NULL,
    "acknowledgedBy" TEXT,
    "acknowledgedAt" REAL,
    "resolvedBy" TEXT,
    "resolvedAt" REAL
);

-- CreateIndex
CREATE INDEX "Escalation_status_idx" ON "Escalation"("status");

-- CreateIndex
CREATE INDEX "Escalation_createdAt_idx" ON "Escalation"("createdAt");

-- CreateIndex
CREATE INDEX "MergeRequest_updatedAt_idx" ON "MergeRequest"("updatedAt");

