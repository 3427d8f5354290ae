-- CreateTable
CREATE TABLE "Usage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "day" TEXT NOT NULL,
    "rig" TEXT NOT NULL,
    "polecatId" TEXT NOT NULL,
    "convoyId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "inputTokens" REAL NOT NULL,
    "outputTokens" REAL NOT NULL,
    "costUsd" REAL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Convoy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "title" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "beadIds" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "closedAt" REAL,
    "dispatchedAt" REAL,
    "waveSize" INTEGER,
    "waves" TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO "new_Convoy" ("beadIds", "closedAt", "createdAt", "id", "status", "title") SELECT "beadIds", "closedAt", "createdAt", "id", "status", "title" FROM "Convoy";
DROP TABLE "Convoy";
ALTER TABLE "new_Convoy" RENAME TO "Convoy";
-- Convoys made before waves existed were dispatched all at once when created.
UPDATE "Convoy" SET "dispatchedAt" = "createdAt";
CREATE INDEX "Convoy_status_idx" ON "Convoy"("status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Usage_day_idx" ON "Usage"("day");

-- CreateIndex
CREATE UNIQUE INDEX "Usage_day_rig_polecatId_convoyId_model_key" ON "Usage"("day", "rig", "polecatId", "convoyId", "model");

