-- CreateTable
CREATE TABLE "Gate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "holds" TEXT NOT NULL,
    "until" REAL,
    "beads" TEXT NOT NULL,
    "rig" TEXT,
    "convoyId" TEXT,
    "createdAt" REAL NOT NULL,
    "readyAt" REAL,
    "openedAt" REAL,
    "openedBy" TEXT
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Polecat" (
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
    "tokensUsed" REAL NOT NULL,
    "health" TEXT NOT NULL DEFAULT 'ok',
    "strikes" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "new_Polecat" ("beadId", "branch", "id", "lastHeartbeatAt", "lastProgressAt", "name", "rig", "state", "stateSince", "tokensUsed", "worktreePath") SELECT "beadId", "branch", "id", "lastHeartbeatAt", "lastProgressAt", "name", "rig", "state", "stateSince", "tokensUsed", "worktreePath" FROM "Polecat";
DROP TABLE "Polecat";
ALTER TABLE "new_Polecat" RENAME TO "Polecat";
CREATE INDEX "Polecat_rig_idx" ON "Polecat"("rig");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Gate_status_idx" ON "Gate"("status");

-- CreateIndex
CREATE INDEX "Gate_createdAt_idx" ON "Gate"("createdAt");

