-- CreateTable
CREATE TABLE "Town" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "settings" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Rig" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "repoPath" TEXT NOT NULL,
    "targetBranch" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "settings" TEXT NOT NULL,
    "counters" TEXT NOT NULL,
    "createdAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "Polecat" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "rig" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "beadId" TEXT,
    "branch" TEXT NOT NULL,
    "worktreePath" TEXT NOT NULL,
    "lastHeartbeatAt" REAL,
    "lastProgressAt" REAL,
    "stateSince" REAL NOT NULL,
    "tokensUsed" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "Bead" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "labels" TEXT NOT NULL,
    "dependsOn" TEXT NOT NULL,
    "paths" TEXT NOT NULL,
    "rig" TEXT NOT NULL,
    "assignee" TEXT,
    "convoyId" TEXT,
    "createdAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL,
    "closedAt" REAL
);

-- CreateTable
CREATE TABLE "Convoy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "title" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "beadIds" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "closedAt" REAL
);

-- CreateTable
CREATE TABLE "MergeRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "rig" TEXT NOT NULL,
    "polecatId" TEXT NOT NULL,
    "beadId" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL,
    "mergeCommit" TEXT,
    "conflictFiles" TEXT NOT NULL,
    "enqueuedAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL,
    "landedAt" REAL
);

-- CreateTable
CREATE TABLE "Event" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" REAL NOT NULL,
    "type" TEXT NOT NULL,
    "rig" TEXT,
    "data" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Audit" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" REAL NOT NULL,
    "actor" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "input" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT
);

-- CreateIndex
CREATE INDEX "Polecat_rig_idx" ON "Polecat"("rig");

-- CreateIndex
CREATE INDEX "Bead_status_idx" ON "Bead"("status");

-- CreateIndex
CREATE INDEX "Bead_rig_idx" ON "Bead"("rig");

-- CreateIndex
CREATE INDEX "Bead_updatedAt_idx" ON "Bead"("updatedAt");

-- CreateIndex
CREATE INDEX "Convoy_status_idx" ON "Convoy"("status");

-- CreateIndex
CREATE INDEX "MergeRequest_rig_status_idx" ON "MergeRequest"("rig", "status");

-- CreateIndex
CREATE INDEX "MergeRequest_status_idx" ON "MergeRequest"("status");

-- CreateIndex
CREATE INDEX "Event_at_idx" ON "Event"("at");

-- CreateIndex
CREATE INDEX "Event_type_idx" ON "Event"("type");

-- CreateIndex
CREATE INDEX "Event_rig_at_idx" ON "Event"("rig", "at");

-- CreateIndex
CREATE INDEX "Audit_at_idx" ON "Audit"("at");

